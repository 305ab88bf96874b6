"""The LTI security framework's platform side: JWKS, the OAuth2 token endpoint and bearer checks.

The JWKS and token views are routed by sandbox/service_routes.py at the paths of the sandbox's LMS profile."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jwt
from flask import Response, jsonify, request
from lti1p3platform.exceptions import LtiException, MissingRequiredClaim, UnsupportedGrantType

from sandbox.platform import CLIENT_ASSERTION_TYPE, NoGrantableScope, SandboxPlatform
from sandbox.runtime import current_sandbox
from sandbox.service_responses import json_response, service_error

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def jwks() -> Response:
    return jsonify(current_sandbox().new_platform().get_jwks())


def token() -> Response:
    form = request.form.to_dict()
    assertion_type = form.get("client_assertion_type")
    if assertion_type is not None and assertion_type != CLIENT_ASSERTION_TYPE:
        return _oauth_error(400, "invalid_request", f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}.")
    try:
        issued = _platform_for_assertion(form.get("client_assertion", "")).issue_access_token(form)
    except MissingRequiredClaim as error:
        return _oauth_error(400, "invalid_request", str(error))
    except UnsupportedGrantType:
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials.")
    except NoGrantableScope as error:
        return _oauth_error(400, "invalid_scope", f"None of the requested scopes can be granted: {error}")
    except (jwt.PyJWTError, LtiException) as error:
        return _oauth_error(401, "invalid_client", _assertion_problem(error))
    return json_response(issued, headers=NO_STORE)


def _platform_for_assertion(assertion: str) -> SandboxPlatform:
    """The platform as seen by the tool the assertion claims to come from; its keys then verify the claim."""
    sandbox = current_sandbox()
    try:
        claimed = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return sandbox.new_platform()
    return sandbox.new_platform(sandbox.tool(str(claimed.get("iss", ""))))


def require_scope(*accepted_scopes: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Let the view run only for a valid bearer access token carrying one of the scopes."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            refusal = _bearer_refusal(list(accepted_scopes))
            return refusal if refusal is not None else view(*args, **kwargs)

        return guarded

    return decorate


def _bearer_refusal(accepted_scopes: list[str]) -> Response | None:
    scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access_token.strip():
        return _token_refused(401, "invalid_token", "A bearer access token from the token endpoint is required.")
    try:
        granted = current_sandbox().new_platform().token_grants(access_token.strip(), accepted_scopes)
    except (jwt.PyJWTError, LtiException) as error:
        return _token_refused(401, "invalid_token", f"The access token is not valid: {error}")
    if not granted:
        needed = " or ".join(accepted_scopes)
        return _token_refused(403, "insufficient_scope", f"The access token lacks the scope {needed}.")
    return None


def _assertion_problem(error: Exception) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "The client assertion has expired."
    if isinstance(error, jwt.InvalidAudienceError):
        return f"The client assertion's aud must be {current_sandbox().endpoints.token}."
    if isinstance(error, jwt.InvalidSignatureError):
        return "The client assertion's signature does not verify against the tool's JWKS."
    return f"The client assertion was refused: {error}"


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = service_error(status, error, description)
    response.headers.update(NO_STORE)
    return response


def _token_refused(status: int, error: str, description: str) -> Response:
    response = service_error(status, error, description)
    response.headers["WWW-Authenticate"] = f'Bearer realm="peerlti sandbox", error="{error}"'
    return response
