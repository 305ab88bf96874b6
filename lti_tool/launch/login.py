"""OIDC third-party login initiation: check the platform, then send the browser to its authorisation endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from assessment.messages import N_
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.platform_storage import origin_of, storage_target
from lti_tool.launch.registration import find_login_registration
from lti_tool.launch.state import LoginState, StateSigner
from lti_tool.registry import Platform


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: LoginState
    # With platform storage: the same login whose state names the cookie alone, used when the LMS does not answer.
    cookie_only_url: str = ""
    platform_origin: str = ""


def start_login(session: Session, params: Mapping[str, str], signer: StateSigner, launch_url: str) -> LoginRedirect:
    issuer, login_hint = params.get("iss"), params.get("login_hint")
    if not issuer:
        raise LaunchRejected(N_("The login request has no issuer (iss); start the activity from your course."))
    if not login_hint:
        raise LaunchRejected(N_("The login request has no login_hint; start the activity from your course."))
    client_id = params.get("client_id") or None
    # Canvas names it deployment_id; the specification, lti_deployment_id.
    deployment_id = params.get("lti_deployment_id") or params.get("deployment_id")
    registration = find_login_registration(session, issuer, client_id, deployment_id)
    if registration is None:
        raise LaunchRejected(
            N_("This tool has no registration for issuer %(issuer)s and client id %(client)s. "
               "An administrator must register the platform first.", issuer=repr(issuer), client=repr(client_id))
            if client_id else
            N_("This tool has no registration for issuer %(issuer)s (or several, and the login named no client id). "
               "An administrator must register the platform first.", issuer=repr(issuer)),
            status=403,
        )
    platform = registration.platform
    if deployment_id and not registration.deployment_allowed:
        raise LaunchRejected(
            N_("Deployment %(deployment)s is not registered for this platform.", deployment=repr(deployment_id)), status=403
        )

    token, state = signer.issue({
        "iss": issuer,
        "login_hint": login_hint,
        "lti_message_hint": params.get("lti_message_hint", ""),
        "target_link_uri": params.get("target_link_uri", ""),
        "client_id": platform.client_id,
        "lti_deployment_id": deployment_id or "",
    }, storage_target(params.get("lti_storage_target")))
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "nonce": state.nonce,
        "login_hint": login_hint,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    if not state.storage_target:
        return LoginRedirect(_auth_url(platform, query, token), state)
    cookie_only_url = _auth_url(platform, query, signer.sign(state.without_storage()))
    return LoginRedirect(_auth_url(platform, query, token), state, cookie_only_url, origin_of(platform.auth_login_url))


def _auth_url(platform: Platform, query: dict[str, str], state_token: str) -> str:
    separator = "&" if "?" in platform.auth_login_url else "?"
    return platform.auth_login_url + separator + urlencode(query | {"state": state_token})
