"""The tool's private keys at rest: encrypted with a key derived from SECRET_KEY, decrypted only to sign."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.registry import ToolKey, current_tool_key

if TYPE_CHECKING:
    from config.settings import Settings

# HKDF's info binds the derived key to this one use: the same SECRET_KEY also signs cookies and tokens.
HKDF_INFO = b"peerlti tool private keys v1"
SESSION_INFO_KEY = "peerlti.key_vault"


class UndecryptableKey(Exception):
    """A stored private key that neither SECRET_KEY nor SECRET_KEY_PREVIOUS decrypts; the message says what to do."""

    def __init__(self, kid: str) -> None:
        super().__init__(
            f"The tool's signing key {kid} cannot be decrypted with SECRET_KEY (nor with SECRET_KEY_PREVIOUS): "
            "it was encrypted with another secret. If SECRET_KEY was changed, set SECRET_KEY_PREVIOUS to the old "
            "value and run `peerlti keys reencrypt`. If the old value is lost, run `peerlti keys rotate` for a new "
            "key (platforms fetch it from the tool's JWKS)."
        )
        self.kid = kid


def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


@dataclass(frozen=True)
class KeyVault:
    """Encrypts with SECRET_KEY; decrypts with it or, during a rotation, with SECRET_KEY_PREVIOUS."""

    secret_key: str = field(repr=False)
    previous_secret_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyVault:
        return cls(settings.secret_key, settings.secret_key_previous)

    def _ciphers(self) -> MultiFernet:
        # MultiFernet encrypts with the first and decrypts with any: the current secret first.
        secrets = [self.secret_key] + ([self.previous_secret_key] if self.previous_secret_key else [])
        return MultiFernet([_fernet(secret) for secret in secrets])

    def encrypt(self, private_key_pem: str) -> str:
        return self._ciphers().encrypt(private_key_pem.encode()).decode()

    def decrypt(self, encrypted: str, kid: str) -> str:
        try:
            return self._ciphers().decrypt(encrypted.encode()).decode()
        except InvalidToken:
            raise UndecryptableKey(kid) from None

    def is_current(self, encrypted: str) -> bool:
        """Whether SECRET_KEY itself decrypts this (rather than only SECRET_KEY_PREVIOUS, or nothing)."""
        try:
            _fernet(self.secret_key).decrypt(encrypted.encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, encrypted: str, kid: str) -> str:
        """The same private key, encrypted with SECRET_KEY."""
        return self.encrypt(self.decrypt(encrypted, kid))


@dataclass(frozen=True)
class SigningKey:
    """A tool key ready to sign with: its private key decrypted, held only in memory."""

    kid: str
    private_key_pem: str = field(repr=False)
    public_jwk: dict[str, Any]


def bind_vault(factory: sessionmaker[Session], vault: KeyVault) -> None:
    """Every session the factory makes can encrypt and decrypt tool keys (the app, workers and CLI each bind theirs)."""
    factory.configure(info={SESSION_INFO_KEY: vault})


def vault_of(session: Session) -> KeyVault:
    vault = session.info.get(SESSION_INFO_KEY)
    if not isinstance(vault, KeyVault):
        raise RuntimeError("this database session has no key vault; build its factory with bind_vault()")
    return vault


def signing_key(session: Session, key: ToolKey) -> SigningKey:
    """The one way to a tool key's private key: decrypted with the session's vault."""
    return SigningKey(key.kid, vault_of(session).decrypt(key.encrypted_private_key, key.kid), dict(key.public_jwk))


def current_signing_key(session: Session) -> SigningKey | None:
    key = current_tool_key(session)
    return signing_key(session, key) if key is not None else None
