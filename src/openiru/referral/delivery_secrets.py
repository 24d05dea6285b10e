"""Delivery secrets at rest: AES-256-GCM sealing of webhook HMAC keys (pycryptodome).

A provider's webhook secret is sealed before it is written to the database:
``AES-256-GCM(key, nonce = 12 random bytes, aad = "openiru:<purpose>:<provider>")``,
stored as base64 of ``nonce || ciphertext || tag`` with the scheme and the
key's id.  The associated data binds a sealed value to its row, so copying one
provider's ciphertext to another fails to open.  The 256-bit key is derived
with HKDF-SHA256 from ``OPENIRU_SECRET_KEY`` (at least 32 characters, and not plainly
regular: :mod:`openiru.referral.key_strength`; e.g.
``python -c 'import secrets; print(secrets.token_urlsafe(32))'``).  A key
rotation keeps the previous value in ``OPENIRU_SECRET_KEY_OLD`` until
``openiru provider secret reencrypt`` has resealed every row.

The construction is the library's (pycryptodome's AES GCM mode and HKDF);
only the framing is written here.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

from ..errors import ConfigError
from .key_strength import HOW, weakness

KEY_ENV = "OPENIRU_SECRET_KEY"
OLD_KEY_ENV = "OPENIRU_SECRET_KEY_OLD"
ALLOW_PLAINTEXT_ENV = "OPENIRU_ALLOW_PLAINTEXT_SECRETS"
SCHEME = "aes-256-gcm"
PLAINTEXT = "plaintext"
MIN_KEY_CHARS = 32
NONCE_BYTES = 12


class SecretError(ConfigError):
    """A secret that cannot be sealed or opened with the configured keys."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """What the database holds for one secret."""

    scheme: str
    key_id: str | None
    value: str


class SecretBox:
    """Seal and open secrets with one key (``key_id`` names it without revealing it)."""

    def __init__(self, material: str) -> None:
        why = weakness(material, MIN_KEY_CHARS)  # length, and a strength estimate (key_strength)
        if why is not None:
            raise SecretError(f"{KEY_ENV} is {why}: {HOW}")
        self._key: bytes = HKDF(
            material.encode("utf-8"), 32, b"openiru-secrets-v1", SHA256, context=b"aes-256-gcm"
        )
        self.key_id = hashlib.sha256(b"openiru key id|" + self._key).hexdigest()[:16]

    def seal(self, plaintext: str, aad: str) -> Sealed:
        nonce = secrets.token_bytes(NONCE_BYTES)
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce)
        cipher.update(aad.encode("utf-8"))
        ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode("utf-8"))
        return Sealed(SCHEME, self.key_id, base64.b64encode(nonce + ciphertext + tag).decode("ascii"))

    def open(self, sealed: Sealed, aad: str) -> str:
        raw = base64.b64decode(sealed.value)
        nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-16], raw[-16:]
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce)
        cipher.update(aad.encode("utf-8"))
        try:
            return bytes(cipher.decrypt_and_verify(ciphertext, tag)).decode("utf-8")
        except ValueError:
            raise SecretError(
                f"a sealed secret ({aad}) fails its authentication tag: altered, "
                "moved from another row, or sealed with another key"
            ) from None


@dataclass(frozen=True, slots=True)
class Keyring:
    """The current key (sealing) and an old one (opening only, during a rotation)."""

    current: SecretBox | None
    old: SecretBox | None = None
    allow_plaintext: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], allow_plaintext: bool = False) -> Keyring:
        current, old = env.get(KEY_ENV), env.get(OLD_KEY_ENV)
        allowed = allow_plaintext or env.get(ALLOW_PLAINTEXT_ENV, "").strip().lower() in ("1", "true", "yes")
        return cls(SecretBox(current) if current else None, SecretBox(old) if old else None, allowed)

    def seal(self, plaintext: str, aad: str) -> Sealed:
        if self.current is not None:
            return self.current.seal(plaintext, aad)
        if self.allow_plaintext:
            return Sealed(PLAINTEXT, None, plaintext)
        raise SecretError(
            f"no {KEY_ENV} configured: refusing to store a delivery secret in plain text. "
            f"Set {KEY_ENV} (at least {MIN_KEY_CHARS} random characters), or for a local "
            f"demo only pass --allow-plaintext-secrets (or {ALLOW_PLAINTEXT_ENV}=1)"
        )

    def open(self, sealed: Sealed, aad: str) -> str:
        if sealed.scheme == PLAINTEXT:
            return sealed.value
        if sealed.scheme != SCHEME:
            raise SecretError(f"unknown secret scheme {sealed.scheme!r} ({aad})")
        for box in (self.current, self.old):
            if box is not None and box.key_id == sealed.key_id:
                return box.open(sealed, aad)
        raise SecretError(
            f"the secret for {aad} was sealed with key {sealed.key_id}, which is neither "
            f"{KEY_ENV} nor {OLD_KEY_ENV}"
        )

    def is_current(self, sealed: Sealed) -> bool:
        return sealed.scheme == SCHEME and self.current is not None and sealed.key_id == self.current.key_id


def aad_for(purpose: str, provider: str) -> str:
    return f"openiru:{purpose}:{provider}"
