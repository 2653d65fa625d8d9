"""The card's signed QR payload: signing, reading, verifying, keys and rotation."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from rules import cardsig
from rules.cardsig import Claim, Outcome, PayloadError

KEY = cardsig.derive_private_key("test secret", "k1")
OTHER = cardsig.derive_private_key("another secret", "k1")
PUBLIC = {"k1": KEY.public_key()}
BASE = "https://nrmm.example.gov.cn"


def url_for(claim: Claim, key: Ed25519PrivateKey = KEY) -> str:
    return cardsig.card_url(BASE, claim, cardsig.sign(claim, key))


def test_round_trip():
    claim = Claim("沪A2-00001", 1, "k1")
    url = url_for(claim)
    assert url.startswith(f"{BASE}/v/%E6%B2%AAA2-00001/1.k1.")
    verdict = cardsig.verify_url(url, PUBLIC)
    assert verdict.outcome is Outcome.GENUINE
    assert verdict.claim == claim


def test_url_is_compact_enough_for_a_25mm_code():
    url = url_for(Claim("沪W4-ZZZZZ", 999, "k12345678"[:8]))
    assert len(url) <= 160


def test_signature_is_86_base64url_characters():
    signature = cardsig.sign(Claim("沪A2-00001", 1, "k1"), KEY)
    assert len(signature) == 86
    assert set(signature) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda u: u.replace("00001", "00002"),  # another number
        lambda u: u.replace("/1.k1.", "/2.k1."),  # another card issue
        lambda u: u.replace("%E6%B2%AAA2", "%E6%B2%AAB2"),  # another district
    ],
)
def test_tampered_claims_fail(tamper):
    url = url_for(Claim("沪A2-00001", 1, "k1"))
    assert cardsig.verify_url(tamper(url), PUBLIC).outcome is Outcome.BAD_SIGNATURE


def test_flipped_signature_character_fails():
    url = url_for(Claim("沪A2-00001", 1, "k1"))
    last = url[-1]
    forged = url[:-2] + ("A" if url[-2] != "A" else "B") + last
    assert cardsig.verify_url(forged, PUBLIC).outcome is Outcome.BAD_SIGNATURE


def test_signed_with_another_key_fails():
    url = url_for(Claim("沪A2-00001", 1, "k1"), OTHER)
    assert cardsig.verify_url(url, PUBLIC).outcome is Outcome.BAD_SIGNATURE


def test_unknown_key_id():
    claim = Claim("沪A2-00001", 1, "k9")
    assert cardsig.verify_url(url_for(claim), PUBLIC).outcome is Outcome.UNKNOWN_KEY


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "https://example.com/",
        f"{BASE}/v/%E6%B2%AAA2-00001/",  # a typed look-up URL, no proof
        f"{BASE}/v/%E6%B2%AAA2-00001/1.k1.short",
        f"{BASE}/v/%E6%B2%AAA2-00001/x.k1.{'A' * 86}",
        f"{BASE}/v/%E6%B2%AAA2-00001/1.K1.{'A' * 86}",  # key ids are lower case
        f"{BASE}/v/%E6%B2%AAA2-00001/0.k1.{'A' * 86}",  # issues start at 1
        f"{BASE}/v/A2-00001/1.k1.{'A' * 86}",  # no city abbreviation
        f"{BASE}/v/%E6%B2%AAI2-00001/1.k1.{'A' * 86}",  # I is not a district letter
        f"{BASE}/v/%E6%B2%AAA2-00001/1.k1.{'*' * 86}",
    ],
)
def test_malformed(text):
    assert cardsig.verify_url(text, PUBLIC).outcome is Outcome.MALFORMED


def test_any_host_and_trailing_slash_are_accepted():
    claim = Claim("沪A2-00001", 1, "k1")
    url = url_for(claim).replace(BASE, "http://10.0.0.5:8000") + "/"
    assert cardsig.verify_url(url, PUBLIC).genuine


@pytest.mark.parametrize(
    ("number", "issue", "kid"),
    [
        ("沪A2-0001", 1, "k1"),
        ("沪A2-00001", 0, "k1"),
        ("沪A2-00001", 1000, "k1"),
        ("沪A2-00001", 1, ""),
    ],
)
def test_claim_refuses_bad_parts(number, issue, kid):
    with pytest.raises(PayloadError):
        Claim(number, issue, kid)


# --- keys ----------------------------------------------------------------------------------


def test_key_ring_default_derives_from_the_secret():
    ring = cardsig.key_ring("", secret="s3cret")
    assert ring.active_kid == "s1"
    again = cardsig.key_ring("", secret="s3cret")
    assert cardsig.public_key_text(ring.public_keys["s1"]) == cardsig.public_key_text(
        again.public_keys["s1"]
    )
    other = cardsig.key_ring("", secret="different")
    assert cardsig.public_key_text(ring.public_keys["s1"]) != cardsig.public_key_text(
        other.public_keys["s1"]
    )


def test_key_ring_rotation_keeps_old_cards_verifiable():
    old_text = cardsig.generate_private_key_text()
    new_text = cardsig.generate_private_key_text()
    before = cardsig.key_ring(f"k1:{old_text}")
    claim = Claim("沪A2-00001", 1, "k1")
    url = cardsig.card_url(BASE, claim, cardsig.sign(claim, before.active))
    old_public = cardsig.public_key_text(before.public_keys["k1"])
    after = cardsig.key_ring(f"k2:{new_text}", f"k1:{old_public}")
    assert after.active_kid == "k2"
    assert cardsig.verify_url(url, after.public_keys).genuine
    # Dropping the old key from the ring withdraws every card signed with it.
    dropped = cardsig.key_ring(f"k2:{new_text}")
    assert cardsig.verify_url(url, dropped.public_keys).outcome is Outcome.UNKNOWN_KEY


def test_first_signing_key_is_active():
    a, b = cardsig.generate_private_key_text(), cardsig.generate_private_key_text()
    ring = cardsig.key_ring(f"ka:{a}, kb:{b}")
    assert ring.active_kid == "ka"
    assert set(ring.public_keys) == {"ka", "kb"}


@pytest.mark.parametrize(
    ("signing", "verifying", "message"),
    [
        ("nokid", "", "kid:base64"),
        ("K1:abc", "", "kid:base64"),
        ("k1:abc", "", "not 32 bytes"),
        ("", "k2:abc", "not an Ed25519 public key"),
        ("k1:" + "A" * 43, "k1:" + "A" * 43, "also a signing key"),
    ],
)
def test_key_ring_refuses_bad_settings(signing, verifying, message):
    with pytest.raises(ValueError, match=message):
        cardsig.key_ring(signing, verifying, secret="x")


def test_key_ring_needs_a_key_or_a_secret():
    with pytest.raises(ValueError, match="no card signing key"):
        cardsig.key_ring("")


def test_fingerprint_is_stable_and_short():
    fp = cardsig.fingerprint(KEY.public_key())
    assert fp == cardsig.fingerprint(KEY.public_key())
    assert len(fp) == 16


SERIAL = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=5, max_size=5)
DISTRICT = st.sampled_from("ABDEFGHJKLMNPQRSTUVW")


@given(district=DISTRICT, stage=st.integers(1, 9), serial=SERIAL, issue=st.integers(1, 999))
def test_every_valid_claim_round_trips(district, stage, serial, issue):
    claim = Claim(f"沪{district}{stage}-{serial}", issue, "k1")
    verdict = cardsig.verify_url(url_for(claim), PUBLIC)
    assert verdict.genuine
    assert verdict.claim == claim


@given(st.text(max_size=300))
def test_any_text_gets_a_verdict_never_an_exception(text):
    assert cardsig.verify_url(text, PUBLIC).outcome in set(Outcome)


def test_the_documented_offline_routine_agrees():
    """docs/verification.md's stand-alone snippet, run as written."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "verification.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "verification.md", "exec"), namespace)
    verify = namespace["verify"]
    keys = {"k1": cardsig.public_key_text(KEY.public_key())}
    claim = Claim("沪A2-00001", 3, "k1")
    url = url_for(claim)
    assert verify(url, keys) == ("沪A2-00001", 3)
    assert verify(url.replace("00001", "00002"), keys) is None
    assert verify(url_for(claim, OTHER), keys) is None
    assert verify("hello", keys) is None
