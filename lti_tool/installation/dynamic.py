"""LTI Dynamic Registration 1.0, tool side: read the platform's configuration, register, record the answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from lti_tool.installation.canvas import CANVAS_DUE_AT_VARIABLE
from lti_tool.installation.values import CLAIMS, TOOL_DESCRIPTION, TOOL_NAME, ToolValues
from lti_tool.keys import ensure_tool_key
from lti_tool.launch.provisioning import DUE_AT_PARAMETER
from lti_tool.outbound import (
    OutboundClient,
    OutboundError,
    OutboundRefused,
    OutboundResponse,
    OutboundTooLarge,
)
from lti_tool.registry import Platform, PlatformSpec, register_platform

log = logging.getLogger(__name__)

PLATFORM_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-tool-configuration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
# A platform's configuration and its answer are small documents; anything larger is not one.
MAX_DOCUMENT_BYTES = 256 * 1024
# The registry's URL columns hold this much.
MAX_URL_LENGTH = 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
# Percent-encoded slash, dot and backslash: a path that hides its segments from a segment-by-segment comparison.
ENCODED_SEPARATORS = ("%2f", "%2e", "%5c")
# Where each message appears: IMS's name for a content picker, and Canvas's names (other platforms ignore them).
DEEP_LINKING_PLACEMENTS = ("ContentArea", "assignment_selection", "link_selection")
RESOURCE_LINK_PLACEMENTS = ("course_navigation",)
# The product family code Canvas gives in its platform configuration.
CANVAS_FAMILY = "canvas"


class RegistrationFailed(Exception):
    """A step of the registration failed; `message` says which, in words an administrator can act on."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class PlatformConfiguration:
    """The parts of a platform's OpenID configuration the tool uses."""

    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    # The `aud` of client assertions when it is not the token endpoint.
    authorization_server: str | None
    product_family_code: str
    version: str

    @property
    def name(self) -> str:
        host = urlsplit(self.issuer).netloc
        return f"{self.product_family_code} at {host}" if self.product_family_code else host


@dataclass(frozen=True)
class RegisteredClient:
    """What the platform assigned: the client id and, when it says so, the deployment id."""

    client_id: str
    deployment_id: str | None


def web_url(url: str) -> str:
    """The URL when it is http(s) with a host, else RegistrationFailed.

    Only http and https are fetched, so a registration link cannot make the tool read local files or talk to
    other protocols; which hosts and addresses are reached is the outbound client's rule (OUTBOUND_ALLOWED_HOSTS
    lets an administrator allow an intranet LMS).
    """
    if not _is_web_url(url.strip()):
        raise RegistrationFailed(_l("%(url)s is not an http or https address.", url=url[:200]))
    return url.strip()


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed address, such as an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL_LENGTH


def fetch_platform_configuration(url: str, client: OutboundClient) -> PlatformConfiguration:
    """Read and check the platform's OpenID configuration (Dynamic Registration §3.4, §3.5)."""
    url = web_url(url)
    document = _json_document(_send(client, "GET", url, _l("The platform's configuration")),
                              _l("The platform's configuration"))
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer_matches(issuer, url):
        raise RegistrationFailed(_l(
            "The configuration names the issuer %(issuer)s, which does not match the address it came from "
            "(%(url)s). Registration stopped: the configuration may not belong to that platform.",
            issuer=str(issuer)[:200], url=url[:200],
        ))
    missing = [name for name in REQUIRED_ENDPOINTS if not isinstance(document.get(name), str)]
    platform_claim = document.get(PLATFORM_CONFIGURATION_CLAIM)
    if not isinstance(platform_claim, dict):
        missing.append(PLATFORM_CONFIGURATION_CLAIM)
    if missing or not isinstance(platform_claim, dict):
        raise RegistrationFailed(_l(
            "The platform's configuration lacks %(fields)s.", fields=", ".join(missing)
        ))
    for name in REQUIRED_ENDPOINTS:
        _registrable(client, web_url(document[name]))
    authorization_server = document.get("authorization_server")
    return PlatformConfiguration(
        url=url,
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        registration_endpoint=document["registration_endpoint"],
        authorization_server=authorization_server if isinstance(authorization_server, str) else None,
        product_family_code=str(platform_claim.get("product_family_code") or "")[:100],
        version=str(platform_claim.get("version") or "")[:100],
    )


def _registrable(client: OutboundClient, url: str) -> None:
    """An endpoint the tool will call, or send browsers to, must be one the outbound rules allow."""
    try:
        client.policy.check_registered(url)
    except OutboundRefused:
        raise RegistrationFailed(_l(
            "The platform's configuration names %(url)s, an address peerlti does not connect to (loopback, "
            "private or reserved, or plain http in production). An administrator may allow the host with "
            "OUTBOUND_ALLOWED_HOSTS.", url=url[:200],
        )) from None


def issuer_matches(issuer: str, url: str) -> bool:
    """Whether the configuration at `url` may speak for `issuer` (§3.5.1), compared segment by segment.

    Rules: 1. both are http(s) URLs, without user names, and the issuer has no query or fragment;
    2. same scheme, same host and same port (a default port counts as written);
    3. neither path has a dot segment or a percent-encoded slash, dot or backslash;
    4. the issuer's path segments are the first segments of the configuration URL's path, so
       https://uni.example/moodle speaks for /moodle/... but not for /moodle-sandbox/... or /moodle/../other/."""
    if not (_is_web_url(issuer) and _is_web_url(url)):
        return False
    ours, theirs = urlsplit(issuer), urlsplit(url)
    try:
        ports = (ours.port or DEFAULT_PORTS[ours.scheme], theirs.port or DEFAULT_PORTS[theirs.scheme])
    except ValueError:
        return False
    if (ours.scheme, ours.hostname, ports[0]) != (theirs.scheme, theirs.hostname, ports[1]):
        return False
    if ours.username is not None or theirs.username is not None or ours.query or ours.fragment:
        return False
    for path in (ours.path, theirs.path):
        if "\\" in path or any(encoded in path.lower() for encoded in ENCODED_SEPARATORS):
            return False
        if any(segment in (".", "..") for segment in path.split("/")):
            return False
    issuer_segments = ours.path.rstrip("/").split("/")
    return theirs.path.split("/")[:len(issuer_segments)] == issuer_segments


def registration_request(values: ToolValues, product_family_code: str = "") -> dict[str, Any]:
    """The tool's client registration (§3.6): OpenID Connect client metadata and the LTI tool configuration; Canvas is
    also asked for each student's own due date, as the tool's Canvas configuration asks."""
    tool_configuration: dict[str, Any] = {
        "domain": values.domain,
        "description": TOOL_DESCRIPTION,
        "target_link_uri": values.launch_url,
        "claims": list(CLAIMS),
        "messages": [
            {"type": "LtiResourceLinkRequest", "target_link_uri": values.launch_url,
             "label": TOOL_NAME, "placements": list(RESOURCE_LINK_PLACEMENTS)},
            {"type": "LtiDeepLinkingRequest", "target_link_uri": values.deep_linking_url,
             "label": TOOL_NAME, "placements": list(DEEP_LINKING_PLACEMENTS)},
        ],
    }
    if product_family_code.lower() == CANVAS_FAMILY:
        # Only Canvas expands this variable: another LMS would send it as written at every launch.
        tool_configuration["custom_parameters"] = {DUE_AT_PARAMETER: CANVAS_DUE_AT_VARIABLE}
    return {
        "application_type": "web",
        "client_name": TOOL_NAME,
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": values.login_url,
        "redirect_uris": list(values.redirect_uris),
        "jwks_uri": values.jwks_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(values.scopes),
        TOOL_CONFIGURATION_CLAIM: tool_configuration,
    }


def register_with_platform(configuration: PlatformConfiguration, registration_token: str | None,
                           values: ToolValues, client: OutboundClient) -> RegisteredClient:
    """Post the registration with the platform's token and read back the client id (and deployment id)."""
    headers = {"Accept": "application/json"}
    if registration_token and not _is_header_safe(registration_token):
        raise RegistrationFailed(_l("The registration token from the LMS is malformed."))
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    what = _l("The platform's registration endpoint")
    response = _send(client, "POST", configuration.registration_endpoint, what, headers=headers,
                     json=registration_request(values, configuration.product_family_code))
    if response.status not in (200, 201):
        # The platform's own words stay in the log: its body is not echoed to whoever opened this page.
        raise RegistrationFailed(_l(
            "The platform refused the registration (%(status)s). Check the tool's registration in the LMS, then "
            "start again from there.", status=response.status_line,
        ))
    answer = _json_document(response, _l("The platform's answer to the registration"))
    client_id = answer.get("client_id")
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)
    if not isinstance(client_id, str) or not client_id.strip():
        raise RegistrationFailed(_l("The platform's answer to the registration has no client_id."))
    tool_claim = answer.get(TOOL_CONFIGURATION_CLAIM)
    deployment_id = tool_claim.get("deployment_id") if isinstance(tool_claim, dict) else None
    return RegisteredClient(
        client_id=client_id.strip()[:255],
        deployment_id=str(deployment_id)[:255] if deployment_id not in (None, "") else None,
    )


def _is_header_safe(token: str) -> bool:
    return len(token) <= 8192 and all(33 <= ord(character) <= 126 for character in token)


def platform_spec(configuration: PlatformConfiguration, client: RegisteredClient) -> PlatformSpec:
    """The registration to store.

    A platform that names no deployment id creates one per install later (as Canvas does), so new deployment
    ids of this client are accepted; the client id alone is specific to this registration.
    """
    return PlatformSpec(
        name=configuration.name[:255],
        issuer=configuration.issuer,
        client_id=client.client_id,
        auth_login_url=configuration.authorization_endpoint,
        auth_token_url=configuration.token_endpoint,
        key_set_url=configuration.jwks_uri,
        audience=configuration.authorization_server,
        deployment_ids=(client.deployment_id,) if client.deployment_id else (),
        accept_new_deployments=client.deployment_id is None,
    )


def record_registration(session: Session, configuration: PlatformConfiguration, client: RegisteredClient, *,
                        add_deployments: bool) -> Platform:
    """Store the platform and its deployment, with a signing key for the tool; the caller commits once.

    RegistrationConflict when the issuer and client id are registered already with other endpoints."""
    ensure_tool_key(session)
    return register_platform(session, platform_spec(configuration, client), add_deployments=add_deployments)


def _send(client: OutboundClient, method: str, url: str, what: Any, **kwargs: Any) -> OutboundResponse:
    try:
        return client.request(method, url, max_bytes=MAX_DOCUMENT_BYTES, **kwargs)
    except OutboundRefused:
        raise RegistrationFailed(_l(
            "%(url)s is an address peerlti does not connect to (loopback, private or reserved, or plain http in "
            "production). An administrator may allow the host with OUTBOUND_ALLOWED_HOSTS.", url=url[:200],
        )) from None
    except OutboundTooLarge:
        raise RegistrationFailed(_l("%(what)s is too large to be a registration document.", what=what)) from None
    except OutboundError as error:
        log.info("registration request to %s failed: %s", url, error)
        raise RegistrationFailed(_l("%(what)s at %(url)s could not be reached.", what=what, url=url[:200])) from None


def _json_document(response: OutboundResponse, what: Any) -> dict[str, Any]:
    if response.status not in (200, 201):
        raise RegistrationFailed(_l(
            "%(what)s could not be read: %(status)s.", what=what, status=response.status_line
        ))
    try:
        document = response.json()
    except ValueError:
        raise RegistrationFailed(_l("%(what)s is not JSON.", what=what)) from None
    if not isinstance(document, dict):
        raise RegistrationFailed(_l("%(what)s is not a JSON object.", what=what))
    return document
