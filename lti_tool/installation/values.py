"""The URLs and values an LMS administrator gives the LMS to register peerlti, derived from the tool's base URL."""

from __future__ import annotations

from dataclasses import dataclass

from jwcrypto.jwk import JWK
from sqlalchemy.orm import Session

from lti_tool.keys import ensure_tool_key

TOOL_NAME = "peerlti"
TOOL_DESCRIPTION = "Calibrated, anonymous peer assessment: submit, practise assessing, review, get feedback."
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
# Line items are created and read back, scores posted, results read; the roster comes from NRPS.
SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_MEMBERSHIPS)
# Names and email are shown to staff only; students see pseudonyms.
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")


@dataclass(frozen=True)
class ToolValues:
    """Everything a registration form asks of the tool, as absolute URLs under TOOL_BASE_URL."""

    base_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def domain(self) -> str:
        return self.base_url.split("://", 1)[1].split("/", 1)[0]

    @property
    def login_url(self) -> str:
        return f"{self.base_url}/lti/login"

    @property
    def launch_url(self) -> str:
        """The target link URI of plain launches and of deep linking requests: the tool has one launch URL."""
        return f"{self.base_url}/lti/launch"

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        return (self.launch_url,)

    @property
    def deep_linking_url(self) -> str:
        return self.launch_url

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/lti/jwks"

    @property
    def registration_url(self) -> str:
        return f"{self.base_url}/lti/register"

    @property
    def canvas_json_url(self) -> str:
        return f"{self.base_url}/lti/canvas.json"

    @property
    def scopes(self) -> tuple[str, ...]:
        return SCOPES

    def as_dict(self, public_key_pem: str) -> dict[str, object]:
        return {
            "tool_url": self.launch_url,
            "initiate_login_url": self.login_url,
            "redirect_uris": list(self.redirect_uris),
            "public_keyset_url": self.jwks_url,
            "deep_linking_url": self.deep_linking_url,
            "scopes": list(self.scopes),
            "custom_parameters": "",
            "dynamic_registration_url": self.registration_url,
            "canvas_json_url": self.canvas_json_url,
            "public_key_pem": public_key_pem,
        }


def public_key_pem(session: Session) -> str:
    """The current signing key as PEM, for platforms that ask for a key rather than a keyset URL.

    Creates the first key when there is none yet; the caller commits.
    """
    key = ensure_tool_key(session)
    return JWK(**key.public_jwk).export_to_pem().decode()
