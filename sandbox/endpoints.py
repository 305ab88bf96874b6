"""Absolute URLs of the sandbox's own endpoints and of the tool's LTI endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.config import SandboxConfig


@dataclass(frozen=True)
class Endpoints:
    base_url: str
    tool_base_url: str

    @classmethod
    def from_config(cls, config: SandboxConfig) -> Endpoints:
        return cls(config.base_url.rstrip("/"), config.tool_base_url.rstrip("/"))

    @property
    def auth(self) -> str:
        return f"{self.base_url}/auth"

    @property
    def token(self) -> str:
        return f"{self.base_url}/token"

    @property
    def jwks(self) -> str:
        return f"{self.base_url}/jwks"

    @property
    def course_page(self) -> str:
        return f"{self.base_url}/"

    @property
    def deep_link_return(self) -> str:
        return f"{self.base_url}/deep-link/return"

    def lineitems(self, context_id: str) -> str:
        return f"{self.base_url}/api/courses/{context_id}/lineitems"

    def lineitem(self, context_id: str, line_item_id: str) -> str:
        return f"{self.lineitems(context_id)}/{line_item_id}"

    def memberships(self, context_id: str) -> str:
        return f"{self.base_url}/api/courses/{context_id}/memberships"

    @property
    def tool_login(self) -> str:
        return f"{self.tool_base_url}/lti/login"

    @property
    def tool_launch(self) -> str:
        return f"{self.tool_base_url}/lti/launch"

    @property
    def tool_jwks(self) -> str:
        return f"{self.tool_base_url}/lti/jwks"
