"""The sandbox's lti1p3platform configuration: its registration, client assertions and access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.registration import Registration

from sandbox.config import SandboxConfig
from sandbox.endpoints import Endpoints
from sandbox.keys import PlatformKey
from sandbox.tool_keys import ToolKeySet
from sandbox.tool_registrations import ToolRegistration, configured_tool

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Tools' clocks drift; a minute either way is what most platforms tolerate.
CLOCK_LEEWAY_SECONDS = 60


class NoGrantableScope(Exception):
    """None of the requested scopes is one this platform grants."""


@dataclass(frozen=True)
class PlatformSetup:
    config: SandboxConfig
    endpoints: Endpoints
    key: PlatformKey
    tool_keys: ToolKeySet


class _KeyedRegistration(Registration):
    """lti1p3platform's registration, signing with the platform key parsed once; the library parses the PEM
    twice for every message it signs (for the kid, then for the signature)."""

    def __init__(self, key: PlatformKey) -> None:
        super().__init__()
        self._key = key

    def get_kid(self) -> str:
        return self._key.kid

    def platform_encode_and_sign(self, payload: dict[str, Any], expiration: int | None = None) -> str:
        return Registration.encode_and_sign(payload, self._key.signing_key,  # type: ignore[arg-type]
                                            {"kid": self._key.kid}, expiration=expiration)


class SandboxPlatform(LTI1P3PlatformConfAbstract):
    """One per request: lti1p3platform keeps per-call state on the instance."""

    def init_platform_config(self, **kwargs: Any) -> None:
        setup: PlatformSetup = kwargs["setup"]
        # Without a tool, the one configured on the command line; a dynamically registered one brings its keys.
        tool: ToolRegistration = kwargs.get("tool") or configured_tool(setup.config, setup.endpoints)
        self._setup = setup
        self._tool = tool
        self._tool_keys: ToolKeySet = kwargs.get("tool_keys") or setup.tool_keys
        self._registration = (
            _KeyedRegistration(setup.key)
            .set_iss(setup.endpoints.issuer)
            .set_client_id(tool.client_id)
            .set_deployment_id(tool.deployment_id)
            .set_oidc_login_url(tool.login_url)
            .set_launch_url(tool.target_link_uri)
            # lti1p3platform sends a deep linking request only when this is set.
            .set_deeplink_launch_url(tool.deep_linking_url or tool.target_link_uri)
            .set_tool_key_set_url(tool.jwks_url)
            .set_platform_public_key(setup.key.public_pem)
            .set_platform_private_key(setup.key.private_pem)
        )

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration

    def tool_validate_and_decode(self, jwt_token_string: str) -> dict[str, Any]:
        """Verify a tool's client assertion: signature by kid, aud = token URL, iss = sub = client_id.

        Replaces the library's check, which skips the audience and caches the tool's keys forever.
        """
        header = jwt.get_unverified_header(jwt_token_string)
        if header.get("alg") != "RS256":
            raise jwt.InvalidAlgorithmError("The client assertion must be signed with RS256.")
        kid = header.get("kid")
        if not kid:
            raise jwt.InvalidTokenError("The client assertion's header has no kid.")
        public_key = jwt.PyJWK(self._tool_keys.key_for(kid), algorithm="RS256").key
        client_id = self._tool.client_id
        return jwt.decode(
            jwt_token_string,
            public_key,
            algorithms=["RS256"],
            audience=self._setup.endpoints.token,
            issuer=client_id,
            subject=client_id,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "iat", "exp"]},
        )

    def issue_access_token(self, form: dict[str, Any]) -> dict[str, Any]:
        issued = self.get_access_token(form)
        if not issued["scope"]:
            raise NoGrantableScope(form.get("scope", ""))
        # RFC 6750 spells the type "Bearer"; some clients compare it case-sensitively.
        return {**issued, "token_type": "Bearer"}

    def token_grants(self, access_token: str, accepted_scopes: list[str]) -> bool:
        """True when the token is ours, unexpired and carries one of the scopes; raises if invalid."""
        return self.validate_token(access_token, accepted_scopes)
