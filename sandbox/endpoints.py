"""Absolute URLs of the sandbox's own endpoints, shaped by its LMS profile, and of the tool's LTI endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from sandbox.config import SandboxConfig
from sandbox.profiles import SPEC_PROFILE, LmsProfile, profile_named


@dataclass(frozen=True)
class Endpoints:
    base_url: str
    tool_base_url: str
    profile: LmsProfile = field(default=SPEC_PROFILE)

    @classmethod
    def from_config(cls, config: SandboxConfig) -> Endpoints:
        return cls(config.base_url.rstrip("/"), config.tool_base_url.rstrip("/"), profile_named(config.lms))

    @property
    def issuer(self) -> str:
        return self.profile.issuer(self.base_url)

    @property
    def auth(self) -> str:
        return f"{self.base_url}{self.profile.auth_path}"

    @property
    def token(self) -> str:
        return f"{self.base_url}{self.profile.token_path}"

    @property
    def jwks(self) -> str:
        return f"{self.base_url}{self.profile.jwks_path}"

    @property
    def course_page(self) -> str:
        return f"{self.base_url}/"

    @property
    def deep_link_return(self) -> str:
        return f"{self.base_url}/deep-link/return"

    def lineitems(self, context_id: str) -> str:
        return self._with_query(self.lineitems_path(context_id))

    def lineitems_path(self, context_id: str) -> str:
        return self.base_url + self.profile.lineitems_rule.replace("<context_id>", context_id)

    def lineitem(self, context_id: str, line_item_id: str) -> str:
        return self._with_query(self.lineitem_path(context_id, line_item_id))

    def lineitem_path(self, context_id: str, line_item_id: str) -> str:
        rule = self.profile.lineitem_rule.replace("<context_id>", context_id)
        return self.base_url + rule.replace("<line_item_id>", line_item_id)

    def memberships(self, context_id: str) -> str:
        return self.base_url + self.profile.memberships_rule.replace("<context_id>", context_id)

    def _with_query(self, url: str) -> str:
        query = self.profile.service_query
        return f"{url}?{urlencode(query)}" if query else url

    @property
    def tool_login(self) -> str:
        return f"{self.tool_base_url}/lti/login"

    @property
    def tool_launch(self) -> str:
        return f"{self.tool_base_url}/lti/launch"

    @property
    def tool_jwks(self) -> str:
        return f"{self.tool_base_url}/lti/jwks"
