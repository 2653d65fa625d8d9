"""Encryption at rest of single personal-data fields (ID numbers), and keyed hashes that
let the database find and deduplicate them without holding the plaintext.

A sealed value is text: ``f1.{kid}.{base64url(nonce || ciphertext || tag)}``

- ``f1`` is the format: AES-256-GCM with a random 96-bit nonce;
- ``kid`` names the key (the first 8 hex digits of a SHA-256 of it), so keys can rotate:
  the first key of the ring seals, every key of the ring opens, and ``manage.py field_keys
  --rotate`` re-seals what an older key sealed;
- the associated data binds the token to its purpose (``accounts.User.id_number``), its
  format and key id, so a token copied into another field, or relabelled, does not open.

The keyed hash is HMAC-SHA256 under a separate key, over the purpose and the normalised
value (NFKC, no white space, upper case: what check_id_number stores), in hex. It is what
lookups (login by ID number, staff search) and the unique index compare; without the key
it cannot be reversed by enumerating the (small) space of ID numbers.

Pure apart from :func:`ring`, which reads the ring settings.py built, so the migration,
the bulk generator and tests can also pass a ring of their own.
"""

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "f1"
KEY_BYTES = 32
NONCE_BYTES = 12
KID_CHARS = 8


class SealError(ValueError):
    """The token cannot be opened: damaged, altered, for another purpose, or sealed with a
    key the ring does not hold."""


def normalise(value: str) -> str:
    """What is sealed and hashed: full-width forms folded, white space gone, upper case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"nrmm-field-key-id\0" + key).hexdigest()[:KID_CHARS]


@dataclass(frozen=True)
class KeyRing:
    """Encryption keys (the first seals, all open) and the hash key."""

    # repr=False: a ring printed in a log or an error page must not show its keys.
    keys: tuple[bytes, ...] = field(repr=False)
    hash_key: bytes = field(repr=False)
    derived: bool = False  # True when derived from SECRET_KEY (development only)
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a key ring needs at least one encryption key")
        for key in (*self.keys, self.hash_key):
            if len(key) != KEY_BYTES:
                raise ValueError(f"field keys are {KEY_BYTES} bytes")
        if self.hash_key in self.keys:
            raise ValueError("the hash key must differ from the encryption keys")
        kids = [key_id(k) for k in self.keys]
        if len(set(kids)) != len(kids):
            raise ValueError("a key is listed twice")
        # AESGCM objects, built once: constructing one per call would dominate the cost.
        object.__setattr__(
            self, "_ciphers", {kid: AESGCM(k) for kid, k in zip(kids, self.keys, strict=True)}
        )

    @property
    def current_kid(self) -> str:
        return key_id(self.keys[0])

    def seal(self, value: str, *, purpose: str) -> str:
        kid = self.current_kid
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, normalise(value).encode(), _aad(kid, purpose))
        return f"{FORMAT}.{kid}.{_b64(nonce + sealed)}"

    def open(self, token: str, *, purpose: str) -> str:
        fmt, kid, body = _split(token)
        cipher = self._ciphers.get(kid)
        if fmt != FORMAT or cipher is None:
            raise SealError(f"sealed with an unknown format or key ({fmt}.{kid})")
        raw = _unb64(body)
        if len(raw) < NONCE_BYTES + 16:
            raise SealError("sealed value is truncated")
        try:
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid, purpose))
        except InvalidTag:
            raise SealError("sealed value was altered or belongs to another field") from None
        return plain.decode()

    def digest(self, value: str, *, purpose: str) -> str:
        message = f"{purpose}\0{normalise(value)}".encode()
        return hmac.new(self.hash_key, message, hashlib.sha256).hexdigest()

    def is_current(self, token: str) -> bool:
        """Whether the token is sealed with the key that seals now (else: re-seal it)."""
        fmt, kid, _ = _split(token)
        return fmt == FORMAT and kid == self.current_kid


def _aad(kid: str, purpose: str) -> bytes:
    return f"{FORMAT}|{kid}|{purpose}".encode()


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3:
        raise SealError("not a sealed value")
    return parts[0], parts[1], parts[2]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise SealError("sealed value is not base64url") from None


def _key_from_text(text: str, name: str) -> bytes:
    """A 32-byte key written as base64 (standard or URL-safe, padding optional)."""
    cleaned = text.strip()
    try:
        raw = base64.urlsafe_b64decode(
            cleaned.replace("+", "-").replace("/", "_") + "=" * (-len(cleaned) % 4)
        )
    except (ValueError, TypeError):
        raise ValueError(f"{name}: a key is not base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{name}: a key is {len(raw)} bytes, not {KEY_BYTES}")
    return raw


def derive_key(secret: str, label: str) -> bytes:
    return hmac.new(secret.encode(), f"nrmm-field-key\0{label}".encode(), hashlib.sha256).digest()


def new_key_text() -> str:
    """A fresh key in the form NRMM_FIELD_KEYS and NRMM_FIELD_HASH_KEY take."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def key_ring(keys: str, hash_key: str, *, secret: str, allow_derived: bool) -> KeyRing:
    """The ring from settings text: ``keys`` comma-separated base64 keys, the first sealing;
    ``hash_key`` one base64 key. Both empty: keys derived from ``secret`` when
    ``allow_derived`` (development and tests), else ValueError, as for anything malformed."""
    items = [item for item in keys.split(",") if item.strip()]
    if not items and not hash_key.strip():
        if not allow_derived:
            raise ValueError(
                "NRMM_FIELD_KEYS and NRMM_FIELD_HASH_KEY must be set when DEBUG is off "
                "(python manage.py field_keys --generate makes one)"
            )
        return KeyRing((derive_key(secret, "encrypt"),), derive_key(secret, "hash"), derived=True)
    if not items:
        raise ValueError("NRMM_FIELD_KEYS is empty but NRMM_FIELD_HASH_KEY is set")
    if not hash_key.strip():
        raise ValueError("NRMM_FIELD_HASH_KEY is empty but NRMM_FIELD_KEYS is set")
    return KeyRing(
        tuple(_key_from_text(item, "NRMM_FIELD_KEYS") for item in items),
        _key_from_text(hash_key, "NRMM_FIELD_HASH_KEY"),
    )


def ring() -> KeyRing:
    """The platform's ring (settings.NRMM_FIELD_CRYPTO)."""
    from django.conf import settings

    configured: KeyRing = settings.NRMM_FIELD_CRYPTO
    return configured
