"""The sandbox LMS under Flask's test client, with a tool key the test signs with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jwcrypto.jwk import JWK

from sandbox.config import SandboxConfig

SANDBOX_URL = "http://sandbox.test"
TOOL_URL = "http://tool.test"


@dataclass(frozen=True)
class ToolKey:
    private_pem: str
    public_pem: str
    kid: str
    jwks: dict[str, Any]


def new_tool_key() -> ToolKey:
    jwk = JWK.generate(kty="RSA", size=2048)
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True) | {"kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey(
        private_pem=jwk.export_to_pem(private_key=True, password=None).decode(),
        public_pem=jwk.export_to_pem().decode(),
        kid=kid,
        jwks={"keys": [public]},
    )


def sandbox_config(directory: Path, key: ToolKey) -> SandboxConfig:
    """A sandbox that trusts `key` as the tool's key set instead of fetching it."""
    return SandboxConfig(base_url=SANDBOX_URL, tool_base_url=TOOL_URL, instance_path=str(directory / "sandbox"),
                         secret_key="test-secret", tool_key_set=key.jwks)
