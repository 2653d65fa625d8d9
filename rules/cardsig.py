"""The signed QR code of the information card (附件3: "二维码关联的是机械上的环保号码").

The code holds a URL that names the number and carries an Ed25519 signature over it:

    {base}/v/{short number, percent-encoded}/{issue}.{kid}.{signature}

- ``issue`` counts the cards made for the number (1 for the first card, 2 after a reissue…),
  so that a lost card can be revoked by the platform when its replacement is issued;
- ``kid`` names the signing key (keys are rotated; old cards stay verifiable as long as the
  old public key is listed);
- ``signature`` is the 64-byte Ed25519 signature, base64url without padding (86 characters),
  over the UTF-8 bytes of ``NRMM1|{short number}|{issue}|{kid}``.

Anyone holding the public keys can tell a genuine card from a forged one without a network
(:func:`verify_url`); whether a genuine card is still current (not revoked, the number still
valid) needs the platform. docs/verification.md shows the routine in 25 lines.

No Django here: the same module runs in an inspector's offline tool.
"""

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SCHEME = "NRMM1"
KID_RE = re.compile(r"^[a-z0-9]{1,8}$")
# One CJK city abbreviation, district letter, stage digit, dash, five serial symbols.
SHORT_NUMBER_RE = re.compile(r"^[\u4e00-\u9fff][A-HJ-NP-Z][0-9]-[0-9A-HJ-NP-Z]{5}$")
SIGNATURE_CHARS = 86  # 64 bytes in base64url without padding
MAX_ISSUE = 999


class PayloadError(ValueError):
    """The scanned text is not a card payload at all (or is damaged)."""


class Outcome(StrEnum):
    GENUINE = "genuine"  # signed by one of the platform's keys
    UNKNOWN_KEY = "unknown_key"  # names a key we do not hold (forged, or a withdrawn key)
    BAD_SIGNATURE = "bad_signature"  # the number or issue was altered, or the card forged
    MALFORMED = "malformed"  # not a card payload


@dataclass(frozen=True)
class Claim:
    """What a card asserts: this number, this card issue, signed with this key."""

    short_number: str
    issue: int
    kid: str

    def __post_init__(self) -> None:
        if not SHORT_NUMBER_RE.match(self.short_number):
            raise PayloadError(f"not a short registration number: {self.short_number!r}")
        if not 1 <= self.issue <= MAX_ISSUE:
            raise PayloadError(f"card issue out of range: {self.issue}")
        if not KID_RE.match(self.kid):
            raise PayloadError(f"bad key id: {self.kid!r}")

    def message(self) -> bytes:
        return f"{SCHEME}|{self.short_number}|{self.issue}|{self.kid}".encode()


@dataclass(frozen=True)
class Payload:
    claim: Claim
    signature: str


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    claim: Claim | None

    @property
    def genuine(self) -> bool:
        return self.outcome is Outcome.GENUINE


# --- signing ----------------------------------------------------------------------------------


def sign(claim: Claim, key: Ed25519PrivateKey) -> str:
    return _b64(key.sign(claim.message()))


def proof(claim: Claim, signature: str) -> str:
    """The last path segment of the card URL."""
    return f"{claim.issue}.{claim.kid}.{signature}"


def card_url(base_url: str, claim: Claim, signature: str) -> str:
    return (
        f"{base_url.rstrip('/')}/v/{quote(claim.short_number, safe='')}/{proof(claim, signature)}"
    )


# --- reading and verifying --------------------------------------------------------------------


def parse_proof(short_number: str, text: str) -> Payload:
    """Read the ``{issue}.{kid}.{signature}`` segment that follows the number."""
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise PayloadError("the proof has three parts")
    issue_text, kid, signature = parts
    if not issue_text.isdigit() or len(issue_text) > 3:
        raise PayloadError("bad card issue")
    if len(signature) != SIGNATURE_CHARS or not re.fullmatch(r"[A-Za-z0-9_-]+", signature):
        raise PayloadError("bad signature text")
    return Payload(Claim(short_number, int(issue_text), kid), signature)


def parse_url(text: str) -> Payload:
    """Read a scanned card URL (any host: the host is not trusted, the signature is)."""
    path = urlsplit(text.strip()).path
    match = re.search(r"/v/([^/]+)/([^/]+)/?$", path)
    if not match:
        raise PayloadError("not a card verification URL")
    return parse_proof(unquote(match.group(1)), match.group(2))


def verify(payload: Payload, public_keys: Mapping[str, Ed25519PublicKey]) -> Verdict:
    key = public_keys.get(payload.claim.kid)
    if key is None:
        return Verdict(Outcome.UNKNOWN_KEY, payload.claim)
    try:
        key.verify(_unb64(payload.signature), payload.claim.message())
    except (InvalidSignature, ValueError):
        return Verdict(Outcome.BAD_SIGNATURE, payload.claim)
    return Verdict(Outcome.GENUINE, payload.claim)


def verify_url(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> Verdict:
    """The offline check: is this scanned URL a card signed by the platform?"""
    try:
        payload = parse_url(text)
    except PayloadError:
        return Verdict(Outcome.MALFORMED, None)
    return verify(payload, public_keys)


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRing:
    """The active signing key first; retired public keys still verify old cards."""

    active_kid: str
    private_keys: Mapping[str, Ed25519PrivateKey]
    public_keys: Mapping[str, Ed25519PublicKey]

    @property
    def active(self) -> Ed25519PrivateKey:
        return self.private_keys[self.active_kid]

    def public_texts(self) -> dict[str, str]:
        return {kid: public_key_text(key) for kid, key in self.public_keys.items()}


def derive_private_key(secret: str, kid: str) -> Ed25519PrivateKey:
    """A key derived from the deployment's secret: a working default that needs no key file,
    shared by every app process. Production deployments name their own keys."""
    seed = HKDF(algorithm=SHA256(), length=32, salt=None, info=f"nrmm-card:{kid}".encode()).derive(
        secret.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def generate_private_key_text() -> str:
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


def public_key_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(_unb64(text.strip()))
    except ValueError as exc:
        raise ValueError(f"not an Ed25519 public key: {exc}") from None


def _pairs(spec: str, what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        kid, sep, value = item.partition(":")
        if not sep or not KID_RE.match(kid.strip()):
            raise ValueError(
                f"{what}: expected kid:base64 items, kid of 1-8 [a-z0-9]: {item[:12]!r}…"
            )
        pairs.append((kid.strip(), value.strip()))
    return pairs


def key_ring(signing: str, verifying: str = "", *, secret: str = "") -> KeyRing:
    """Build the ring from settings text.

    ``signing``: ``kid:base64url(32-byte private key)`` items, comma-separated, the first one
    signs new cards. Empty means one key derived from ``secret`` with kid ``s1``.
    ``verifying``: ``kid:base64url(32-byte public key)`` items of retired keys.
    Raises ValueError on anything malformed (the settings fail loudly).
    """
    private: dict[str, Ed25519PrivateKey] = {}
    for kid, value in _pairs(signing, "NRMM_CARD_SIGNING_KEYS"):
        try:
            private[kid] = Ed25519PrivateKey.from_private_bytes(_unb64(value))
        except ValueError:
            raise ValueError(
                f"NRMM_CARD_SIGNING_KEYS: key {kid!r} is not 32 bytes base64url"
            ) from None
    if not private:
        if not secret:
            raise ValueError("no card signing key and no secret to derive one from")
        private["s1"] = derive_private_key(secret, "s1")
    public: dict[str, Ed25519PublicKey] = {kid: key.public_key() for kid, key in private.items()}
    for kid, value in _pairs(verifying, "NRMM_CARD_VERIFY_KEYS"):
        if kid in public:
            raise ValueError(f"NRMM_CARD_VERIFY_KEYS: key {kid!r} is also a signing key")
        public[kid] = load_public_key(value)
    return KeyRing(next(iter(private)), private, public)


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short, human-comparable fingerprint of a public key (for the key listing)."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not base64url: {exc}") from None
