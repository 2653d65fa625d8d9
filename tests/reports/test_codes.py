"""Reference codes: unguessable, readable, forgiving when typed."""

from hypothesis import given
from hypothesis import strategies as st

from reports import codes


def test_new_codes_use_the_unambiguous_alphabet():
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200
    for code in made:
        assert len(code) == codes.LENGTH
        assert set(code) <= set(codes.ALPHABET)
        assert not set(code) & set("01IO")


def test_display_groups_of_five():
    assert codes.display("K7M2Q9XHTR") == "K7M2Q-9XHTR"
    assert codes.display("short") == "short"


def test_typing_is_forgiving():
    for typed in ("K7M2Q-9XHTR", "k7m2q 9xhtr", " K7M2Q9XHTR ", "Ｋ７Ｍ２Ｑ－９ＸＨＴＲ"):
        assert codes.normalise(typed) == "K7M2Q9XHTR", typed


def test_bad_codes_are_refused():
    for typed in ("", "K7M2Q", "K7M2Q9XHTRX", "O7M2Q9XHTR", "K7M2Q9XHT1", "沪A2-00001"):
        assert codes.normalise(typed) is None, typed


@given(st.text(alphabet=codes.ALPHABET, min_size=codes.LENGTH, max_size=codes.LENGTH))
def test_display_round_trips(code):
    assert codes.normalise(codes.display(code)) == code
