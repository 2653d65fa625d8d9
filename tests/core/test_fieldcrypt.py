"""core/fieldcrypt.py: sealing, opening, keyed hashes, rotation and the settings parser."""

import base64
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import fieldcrypt
from core.fieldcrypt import KeyRing, SealError, key_ring

PURPOSE = "accounts.User.id_number"
K1, K2, K3, H1, H2 = (bytes([n]) * 32 for n in (1, 2, 3, 9, 10))
ring = KeyRing((K1,), H1)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_round_trip_and_normalisation():
    token = ring.seal(" 11010519491231002x ", purpose=PURPOSE)
    assert token.startswith(f"f1.{ring.current_kid}.")
    assert ring.open(token, purpose=PURPOSE) == "11010519491231002X"
    assert "11010519491231002" not in token


def test_an_id_number_fits_the_column():
    from accounts.models import User

    column = User._meta.get_field("id_number_enc").max_length
    assert column is not None
    assert len(ring.seal("11010519491231002X", purpose=PURPOSE)) <= column // 2


def test_each_seal_is_different_but_the_hash_is_stable():
    first, second = (ring.seal("11010519491231002X", purpose=PURPOSE) for _ in range(2))
    assert first != second  # a random nonce: equal numbers do not show as equal ciphertexts
    assert ring.digest("11010519491231002X", purpose=PURPOSE) == ring.digest(
        "1101 0519 4912 3100 2ｘ", purpose=PURPOSE
    )
    assert len(ring.digest("x", purpose=PURPOSE)) == 64


def test_hash_depends_on_key_and_purpose():
    value = "11010519491231002X"
    assert ring.digest(value, purpose=PURPOSE) != KeyRing((K1,), H2).digest(value, purpose=PURPOSE)
    assert ring.digest(value, purpose=PURPOSE) != ring.digest(value, purpose="other")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # a ciphertext bit
        lambda t: t.replace("f1.", "f2.", 1),  # the format
        lambda t: ".".join([*t.split(".")[:1], "0" * 8, t.split(".")[2]]),  # the key id
        lambda t: t[:40],  # truncated
        lambda t: t + "!!",  # not base64
        lambda t: "garbage",
    ],
)
def test_a_tampered_token_is_refused(tamper):
    token = ring.seal("11010519491231002X", purpose=PURPOSE)
    with pytest.raises(SealError):
        ring.open(tamper(token), purpose=PURPOSE)


def test_a_token_of_another_field_does_not_open():
    token = ring.seal("11010519491231002X", purpose="accounts.User.other")
    with pytest.raises(SealError):
        ring.open(token, purpose=PURPOSE)


def test_rotation_old_keys_still_open_the_first_seals():
    old = KeyRing((K1,), H1)
    token = old.seal("110101199003074530", purpose=PURPOSE)
    rotated = KeyRing((K2, K1), H1)
    assert rotated.open(token, purpose=PURPOSE) == "110101199003074530"
    assert old.is_current(token) and not rotated.is_current(token)
    fresh = rotated.seal("110101199003074530", purpose=PURPOSE)
    assert rotated.is_current(fresh) and fresh.split(".")[1] == fieldcrypt.key_id(K2)
    with pytest.raises(SealError):  # the old key alone cannot open the new seal
        old.open(fresh, purpose=PURPOSE)
    with pytest.raises(SealError):  # once the old key is dropped, its seals are lost
        KeyRing((K2,), H1).open(token, purpose=PURPOSE)


def test_ring_does_not_print_its_keys():
    assert b64(K1) not in repr(ring) and str(K1) not in repr(ring)


@pytest.mark.parametrize(
    "keys",
    [(), (b"short",), (K1, K1)],
)
def test_bad_rings(keys):
    with pytest.raises(ValueError):
        KeyRing(tuple(keys), H1)


def test_hash_key_must_differ():
    with pytest.raises(ValueError):
        KeyRing((K1,), K1)


class TestSettingsText:
    def test_keys_in_standard_or_url_safe_base64_with_or_without_padding(self):
        urlsafe = base64.urlsafe_b64encode(K3).decode().rstrip("=")
        parsed = key_ring(f"{b64(K2)}, {urlsafe}", b64(H1), secret="s", allow_derived=False)
        assert parsed.keys == (K2, K3) and parsed.hash_key == H1 and not parsed.derived

    def test_derived_in_development_only(self):
        derived = key_ring("", "", secret="dev", allow_derived=True)
        assert derived.derived and derived == key_ring("", "", secret="dev", allow_derived=True)
        assert derived != key_ring("", "", secret="other", allow_derived=True)
        with pytest.raises(ValueError, match="must be set when DEBUG is off"):
            key_ring("", "", secret="dev", allow_derived=False)

    @pytest.mark.parametrize(
        ("keys", "hash_key"),
        [
            ("not base64!", b64(H1)),
            (base64.b64encode(b"16 bytes only!!!").decode(), b64(H1)),
            (b64(K1), ""),
            ("", b64(H1)),
            (b64(K1), "@@@"),
        ],
    )
    def test_malformed_fails_loudly(self, keys, hash_key):
        with pytest.raises(ValueError):
            key_ring(keys, hash_key, secret="dev", allow_derived=True)

    def test_new_key_text_parses(self):
        text = fieldcrypt.new_key_text()
        assert key_ring(text, fieldcrypt.new_key_text(), secret="", allow_derived=False)


id_like = st.text(alphabet=string.digits + "Xx ", min_size=1, max_size=30).filter(str.strip)


@given(st.text(min_size=1, max_size=60).filter(lambda s: fieldcrypt.normalise(s)))
def test_property_round_trip_of_any_text(value):
    token = ring.seal(value, purpose=PURPOSE)
    assert ring.open(token, purpose=PURPOSE) == fieldcrypt.normalise(value)


@given(id_like, id_like)
def test_property_hash_equal_exactly_when_normalised_values_are(a, b):
    same = fieldcrypt.normalise(a) == fieldcrypt.normalise(b)
    assert (ring.digest(a, purpose=PURPOSE) == ring.digest(b, purpose=PURPOSE)) is same
