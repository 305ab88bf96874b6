"""Canvas: the developer key's JSON configuration, and the endpoints of each Canvas environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lti_tool.installation.values import TOOL_DESCRIPTION, TOOL_NAME, ToolValues
from lti_tool.launch.provisioning import DUE_AT_PARAMETER

PLATFORM = "canvas.instructure.com"


@dataclass(frozen=True)
class CanvasEnvironment:
    """One Instructure-hosted Canvas environment: every customer shares its issuer and its endpoints."""

    issuer: str
    sso_host: str

    @property
    def auth_login_url(self) -> str:
        return f"https://{self.sso_host}/api/lti/authorize_redirect"

    @property
    def auth_token_url(self) -> str:
        return f"https://{self.sso_host}/login/oauth2/token"

    @property
    def key_set_url(self) -> str:
        return f"https://{self.sso_host}/api/lti/security/jwks"


CANVAS_ENVIRONMENTS = {
    environment.issuer: environment
    for environment in (
        CanvasEnvironment("https://canvas.instructure.com", "sso.canvaslms.com"),
        CanvasEnvironment("https://canvas.beta.instructure.com", "sso.beta.canvaslms.com"),
        CanvasEnvironment("https://canvas.test.instructure.com", "sso.test.canvaslms.com"),
    )
}
DEFAULT_ISSUER = "https://canvas.instructure.com"
CANVAS_DUE_AT_VARIABLE = "$Canvas.assignment.dueAt.iso8601"


def canvas_configuration(values: ToolValues) -> dict[str, Any]:
    """The JSON pasted into (or fetched by) Canvas's "+ LTI Key" form."""
    # Adding an activity goes through deep linking (assignments and modules); the course menu opens a plain launch.
    placements = [
        _placement("assignment_selection", "LtiDeepLinkingRequest", values.deep_linking_url),
        _placement("link_selection", "LtiDeepLinkingRequest", values.deep_linking_url),
        _placement("course_navigation", "LtiResourceLinkRequest", values.launch_url),
    ]
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": values.login_url,
        "target_link_uri": values.launch_url,
        "public_jwk_url": values.jwks_url,
        "scopes": list(values.scopes),
        "extensions": [
            {
                "platform": PLATFORM,
                "domain": values.domain,
                "tool_id": TOOL_NAME,
                # Staff see names and emails; students only ever see pseudonyms of each other.
                "privacy_level": "public",
                "settings": {"text": TOOL_NAME, "placements": placements},
            }
        ],
        # Each student's own due date (Canvas's per-student and per-section overrides): the tool uses it as their
        # submission deadline and shows it as the LMS's.
        "custom_fields": {DUE_AT_PARAMETER: CANVAS_DUE_AT_VARIABLE},
    }


def _placement(placement: str, message_type: str, target_link_uri: str) -> dict[str, Any]:
    return {
        "placement": placement,
        "message_type": message_type,
        "target_link_uri": target_link_uri,
        "text": TOOL_NAME,
        "enabled": True,
    }
