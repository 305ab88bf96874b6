"""The tool's RSA signing keys: generation, rotation and the public JWKS."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy.orm import Session

from lti_tool.registry import ToolKey, current_tool_key, published_tool_keys

KEY_SIZE = 2048


def new_tool_key() -> ToolKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = JWK.from_pem(pem.encode())
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True) | {"kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey(kid=kid, private_key_pem=pem, public_jwk=public)


def rotate_tool_key(session: Session) -> ToolKey:
    """Make a new current key; the previous one stays published until the next rotation."""
    key = new_tool_key()
    session.add(key)
    session.flush()
    return key


def ensure_tool_key(session: Session) -> ToolKey:
    return current_tool_key(session) or rotate_tool_key(session)


def public_jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [dict(key.public_jwk) for key in published_tool_keys(session)]}
