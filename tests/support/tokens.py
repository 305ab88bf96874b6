"""Taking a genuine launch from the sandbox apart, changing its id_token, and signing it again."""

from __future__ import annotations

from typing import Any

import jwt
import requests
from pylti1p3.service_connector import ServiceConnector

from tests.support.lms import PendingLaunch, RunningLMS, begin_launch

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def genuine_launch(lms: RunningLMS, user: str = "student-1", browser: requests.Session | None = None
                   ) -> tuple[PendingLaunch, dict[str, Any], dict[str, Any]]:
    """A launch the sandbox issued (in `browser`, if given), with its id_token's claims and header, ready to be
    altered."""
    pending = begin_launch(lms, user, browser)
    token = pending.fields["id_token"]
    return pending, jwt.decode(token, options={"verify_signature": False}), jwt.get_unverified_header(token)


def sign_token(lms: RunningLMS, claims: dict[str, Any], header: dict[str, Any], key: str | None = None) -> str:
    """Sign with the sandbox platform's own key (or another), keeping the header's other fields."""
    headers = {name: value for name, value in header.items() if name not in ("alg", "typ")}
    return jwt.encode(claims, key or lms.platform_key.signing_key, algorithm="RS256", headers=headers)


class FreshTokenConnector(ServiceConnector):
    """pylti1p3's own AGS/NRPS client, as a tool other than peerlti would use it; it asks the platform for a new
    token each time, so every call proves the platform accepts the assertion (pylti1p3next leaves caching to
    subclasses, and its Flask one shares tokens across registrations and tests)."""

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        return None
