"""The tool's RSA signing keys: generation, rotation, re-encryption and the public JWKS."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.key_vault import KeyVault, vault_of
from lti_tool.registry import ToolKey, current_tool_key, published_tool_keys

KEY_SIZE = 2048


def new_private_key_pem() -> str:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def tool_key_row(private_key_pem: str, vault: KeyVault) -> ToolKey:
    """The row for a private key: its public half in the clear (for the JWKS), the private key encrypted."""
    jwk = JWK.from_pem(private_key_pem.encode())
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True) | {"kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey(kid=kid, encrypted_private_key=vault.encrypt(private_key_pem), public_jwk=public)


def rotate_tool_key(session: Session) -> ToolKey:
    """Make a new current key; the previous one stays published until the next rotation."""
    key = tool_key_row(new_private_key_pem(), vault_of(session))
    session.add(key)
    session.flush()
    return key


def ensure_tool_key(session: Session) -> ToolKey:
    return current_tool_key(session) or rotate_tool_key(session)


def reencrypt_tool_keys(session: Session) -> int:
    """Encrypt every tool key with the current SECRET_KEY (after a change of it); how many were re-encrypted.

    Raises UndecryptableKey, before changing anything, when a key opens with neither secret.
    """
    vault = vault_of(session)
    stale = [key for key in session.scalars(select(ToolKey).order_by(ToolKey.id)) if not vault.is_current(
        key.encrypted_private_key)]
    reencrypted = [vault.reencrypt(key.encrypted_private_key, key.kid) for key in stale]
    for key, encrypted in zip(stale, reencrypted, strict=True):
        key.encrypted_private_key = encrypted
    session.flush()
    return len(stale)


def public_jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [dict(key.public_jwk) for key in published_tool_keys(session)]}
