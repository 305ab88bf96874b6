"""The message launch, validated more strictly than pylti1p3 does by itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, cast

import jwt
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import TJwtData
from pylti1p3.message_validators import get_validators
from sqlalchemy.orm import Session

from assessment.messages import N_
from lti_tool.launch.errors import CookiesLost, LaunchRejected
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.platform_storage import PlatformStorageAnswer, PlatformStorageNeeded
from lti_tool.launch.registration import (
    LaunchNames,
    LaunchRegistration,
    claim_object,
    find_launch_registration,
    is_lms_identifier,
)
from lti_tool.launch.replay import nonce_was_used
from lti_tool.launch.state import LoginState, StateCookies, StateSigner
from lti_tool.registry import DatabaseToolConf, Platform, lti_registration

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ISSUER_LIMIT = 1024  # the size of a platform's issuer column
# LtiSubmissionReviewRequest: Moodle's grade report opens a student's work with it (mod/lti/grade.php, then
# mod/lti/locallib.php lti_get_jwt_message_type_mapping). pylti1p3 2.0 has a validator for it (its AGS claim must
# name the line item, its for_user claim a user_id: message_validators/submission_review.py), run by
# validate_message; only this list of accepted types is the tool's own.
MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest", "LtiSubmissionReviewRequest")
LINKED_MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiSubmissionReviewRequest")
SIGNATURE_PROBLEMS = (
    (jwt.ExpiredSignatureError, N_("The id_token has expired. Open the activity again from your course.")),
    (jwt.ImmatureSignatureError, N_("The id_token was issued in the future (iat); check the platform's clock.")),
    (jwt.InvalidSignatureError, N_("The id_token's signature does not verify with the platform's key.")),
    (jwt.InvalidAudienceError, N_("The id_token is not addressed to this tool (wrong aud).")),
)


@dataclass(frozen=True)
class LaunchPolicy:
    """What a launch is checked against, beyond the registrations in the database."""

    session: Session
    state_signer: StateSigner
    platform_keys: PlatformKeyCache
    clock_leeway_seconds: int
    relaunch_url: str  # the tool's login URL, used to offer a new window when cookies are lost


class LaunchRequest(FlaskRequest):
    """pylti1p3's view of the Flask request, able to list the cookies that came with it."""

    def state_cookies(self) -> StateCookies:
        return StateCookies.of(self._cookies or {})


class HardenedMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch with the checks it lacks (nonce once, state bound to the browser, azp,
    clock leeway, RS256 only) and every refusal raised as LaunchRejected with a readable reason."""

    def __init__(self, request: LaunchRequest, policy: LaunchPolicy,
                 storage_answer: PlatformStorageAnswer | None = None) -> None:
        super().__init__(request, DatabaseToolConf(policy.session))
        self._policy = policy
        self._launch_request = request
        # Set when the login was proven by the LMS's storage instead of the state cookie.
        self._storage_answer = storage_answer
        self.platform: Platform | None = None
        # The platform, the deployment and the nonce's use, read once for the whole launch.
        self.registration: LaunchRegistration | None = None
        self.login_state: LoginState | None = None
        # The state cookie that proved this browser started the login; deleted once the launch succeeds.
        self.state_cookie_name: str | None = None

    def validate(self) -> HardenedMessageLaunch:
        # 1. the state was issued by this tool and its cookie came back in this browser (or, when the login
        #    was also kept in the LMS's storage, the storage gave back this very state and nonce);
        # 2. the id_token is a JWT signed with RS256 and carries every required claim;
        # 3. issuer + client id (azp when aud has several values) name a registration;
        # 4. the signature verifies with the platform's key, with the clock leeway;
        # 5. the nonce is the one this login issued and was never used before;
        # 6. the deployment is known (or the platform accepts new ones);
        # 7. the message itself is valid for its type (pylti1p3's validators).
        # The nonce is consumed by provisioning, in the same transaction, so a refused launch writes nothing.
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_required_claims()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
        except Exception:
            self._validated = False
            raise
        return self

    def validate_state(self) -> HardenedMessageLaunch:
        state = self._policy.state_signer.read(self._get_request_param("state"))
        self.login_state = state
        if self._storage_answer is not None:
            self._storage_answer.verify(state)
            return self
        cookies = self._launch_request.state_cookies()
        self.state_cookie_name = cookies.holding(state.state_id)
        if self.state_cookie_name is None:
            relaunch = state.relaunch_url(self._policy.relaunch_url)
            if state.storage_target:
                # The LMS's storage binds the login to this browser as well as the cookie would; newer logins
                # may have taken this one's cookie slot.
                raise PlatformStorageNeeded(state, relaunch)
            if cookies.cookies:
                raise LaunchRejected(
                    N_("The launch state does not match this browser's login (state mismatch). "
                       "Open the activity again from your course."),
                    relaunch_url=relaunch,
                )
            raise CookiesLost(
                N_("Your browser did not keep this tool's cookie while the launch went through the LMS, "
                   "which usually means it blocks cookies inside embedded pages."),
                relaunch_url=relaunch,
            )
        return self

    def validate_jwt_format(self) -> HardenedMessageLaunch:
        token = self._get_request_param("id_token")
        refusal = self._get_request_param("error")
        if not token and refusal:
            # An OIDC authentication error response (OpenID Connect Core §3.1.2.6): Moodle's auth.php answers so,
            # with `access_denied` when the login is for someone other than the person signed in to it.
            raise LaunchRejected(
                N_("Your LMS refused to sign you in to this tool (it answered %(error)s). Open the activity again "
                   "from your course; if you are signed in to the LMS as someone else in another tab, sign out "
                   "there first.", error=_oauth_error_code(refusal)),
                status=403,
            )
        if not token:
            raise LaunchRejected(N_("The launch has no id_token."))
        try:
            # Header and body from one parse: validating the base64 of a token costs more than reading it.
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
            header, body = unverified["header"], unverified["payload"]
        except jwt.PyJWTError:
            raise LaunchRejected(N_("The id_token is not a valid JWT (it cannot be decoded).")) from None
        if header.get("alg") != "RS256":
            raise LaunchRejected(
                N_("The id_token must be signed with RS256; it says alg %(alg)s.", alg=repr(header.get("alg")))
            )
        if not header.get("kid"):
            raise LaunchRejected(N_("The id_token header has no kid, so the platform key cannot be chosen."))
        # As pylti1p3 itself does: the decoded token becomes its TypedDict; validate_required_claims checks it.
        self._jwt = cast(TJwtData, {"header": header, "body": body})
        return self

    def validate_required_claims(self) -> HardenedMessageLaunch:
        body = self.claims
        for claim in ("iss", "aud", "sub", "nonce", "iat", "exp"):
            if body.get(claim) in (None, "", []):
                raise LaunchRejected(N_("The id_token is missing the %(claim)s claim.", claim=repr(claim)))
        version = body.get(CLAIM + "version")
        if version is None:
            raise LaunchRejected(N_("The id_token has no LTI version claim; this tool needs LTI 1.3.0."))
        if version != "1.3.0":
            raise LaunchRejected(
                N_("The id_token is for LTI version %(version)s; this tool needs 1.3.0.", version=repr(version))
            )
        message_type = body.get(CLAIM + "message_type")
        if not message_type:
            raise LaunchRejected(N_("The id_token has no message_type claim."))
        if message_type not in MESSAGE_TYPES:
            raise LaunchRejected(N_("This tool does not handle %(type)s messages.", type=repr(message_type)))
        if not body.get(CLAIM + "deployment_id"):
            raise LaunchRejected(N_("The id_token has no deployment_id claim."))
        if not isinstance(body.get(CLAIM + "roles"), list):
            raise LaunchRejected(N_("The id_token has no roles claim (it may be empty, but it must be there)."))
        if message_type in LINKED_MESSAGE_TYPES and not claim_object(body, "resource_link").get("id"):
            raise LaunchRejected(N_("The id_token has no resource_link id."))
        if message_type == "LtiSubmissionReviewRequest" and not claim_object(body, "for_user").get("user_id"):
            raise LaunchRejected(N_("The submission review request does not name the student whose work it opens "
                                    "(no for_user user_id claim)."))
        # Each is looked up in the database before the signature is checked: a value it cannot hold is refused here.
        if not is_lms_identifier(body["iss"], ISSUER_LIMIT):
            raise LaunchRejected(N_("The id_token's %(claim)s claim must be text of at most %(max)s characters "
                                    "without control characters.", claim=repr("iss"), max=ISSUER_LIMIT))
        identifiers = {"sub": body["sub"], "nonce": body["nonce"], "deployment_id": body[CLAIM + "deployment_id"],
                       "resource_link id": claim_object(body, "resource_link").get("id"),
                       "context id": claim_object(body, "context").get("id"),
                       "for_user user_id": claim_object(body, "for_user").get("user_id")}
        for name, value in identifiers.items():
            if value is not None and not is_lms_identifier(value):
                raise LaunchRejected(N_("The id_token's %(claim)s claim must be text of at most 255 characters "
                                        "without control characters.", claim=repr(name)))
        return self

    def get_client_id(self) -> str:
        """The client id this token is for: aud, or azp when aud names several parties."""
        body = self.claims
        audience, azp = body.get("aud"), body.get("azp")
        audiences = audience if isinstance(audience, list) else [audience]
        if not all(isinstance(item, str) for item in audiences):
            raise LaunchRejected(N_("The id_token's aud claim is malformed."))
        if len(audiences) > 1 and not azp:
            raise LaunchRejected(N_("The id_token has several audiences but no azp claim naming this tool."))
        if azp is not None and azp not in audiences:
            raise LaunchRejected(N_("The id_token's azp is not one of its audiences."))
        client_id = azp or audiences[0]
        if not isinstance(client_id, str):  # an empty aud list
            raise LaunchRejected(N_("The id_token's aud claim is malformed."))
        if not is_lms_identifier(client_id):
            raise LaunchRejected(N_("The id_token's %(claim)s claim must be text of at most 255 characters "
                                    "without control characters.", claim=repr("aud")))
        return client_id

    def validate_registration(self) -> HardenedMessageLaunch:
        issuer, client_id = self.claims["iss"], self.get_client_id()
        self.registration = find_launch_registration(self._policy.session, issuer, client_id,
                                                     LaunchNames.of(self.claims))
        if self.registration is None:
            raise LaunchRejected(
                N_("This tool has no registration for issuer %(issuer)s and client id %(client)s. "
                   "An administrator must register the platform first.", issuer=repr(issuer), client=repr(client_id)),
                status=403,
            )
        self.platform = self.registration.platform
        self._registration = lti_registration(self.platform, None)
        return self

    def validate_jwt_signature(self) -> HardenedMessageLaunch:
        assert self.platform is not None
        public_key = self._policy.platform_keys.public_key(self.platform.key_set_url, self._jwt["header"]["kid"])
        try:
            jwt.decode(
                self._get_request_param("id_token"),
                public_key,
                algorithms=["RS256"],
                audience=self.platform.client_id,
                issuer=self.platform.issuer,
                leeway=self._policy.clock_leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            reason = next((text for kind, text in SIGNATURE_PROBLEMS if isinstance(error, kind)), None)
            raise LaunchRejected(reason or N_("The id_token is invalid: %(error)s.", error=str(error)), status=401) from None
        return self

    def validate_nonce(self) -> HardenedMessageLaunch:
        assert self.registration is not None and self.login_state is not None
        nonce = self.claims["nonce"]
        if nonce != self.login_state.nonce:
            raise LaunchRejected(N_("The id_token's nonce was not issued by this login."))
        if self.registration.nonce_used:
            raise LaunchRejected(
                N_("This launch was already used (replayed id_token). Open the activity again from your course.")
            )
        return self

    def validate_nonce_again(self) -> HardenedMessageLaunch:
        """The nonce check, reading the consumed nonces anew: a concurrent launch may have used it since."""
        assert self.registration is not None
        used = nonce_was_used(self._policy.session, self.registration.platform.id, self.claims["nonce"])
        self.registration = replace(self.registration, nonce_used=used)
        return self.validate_nonce()

    def validate_deployment(self) -> HardenedMessageLaunch:
        assert self.registration is not None
        deployment_id = self.claims[CLAIM + "deployment_id"]
        if not self.registration.deployment_allowed:
            raise LaunchRejected(
                N_("Deployment %(deployment)s is not registered for this platform. "
                   "An administrator must add it (or allow new deployments).", deployment=repr(deployment_id)),
                status=403,
            )
        return self

    def validate_message(self) -> HardenedMessageLaunch:
        body = self.claims
        validator = next((v for v in get_validators() if v.can_validate(body)), None)
        if validator is None:
            raise LaunchRejected(N_("The launch message type is not recognised."))
        try:
            validator.validate(body)
        except LtiException as error:
            raise LaunchRejected(N_("The launch message is invalid: %(error)s.", error=str(error))) from None
        return self

    @property
    def claims(self) -> dict[str, Any]:
        # pylti1p3 types the body as a TypedDict of the claims it knows; this tool reads claims by computed names
        # (CLAIM + "roles"), which the TypedDict cannot express, and checks each value's type where it reads it.
        return cast(dict[str, Any], self._jwt["body"])

    @property
    def is_deep_linking(self) -> bool:
        return self.claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest"


def _oauth_error_code(value: str) -> str:
    """An OAuth error code as the LMS sent it, if it is one (lower-case letters and underscores); never free text."""
    return value if re.fullmatch(r"[a-z_]{1,64}", value) else "?"
