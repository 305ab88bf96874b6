"""The OIDC state: a signed token naming the login, bound to the browser by a cookie or the LMS's storage."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from assessment.messages import N_
from lti_tool.launch.errors import LaunchRejected

STATE_COOKIE_PREFIX = "lti1p3-state-"
# A browser keeps at most this many state cookies (logins under way in several tabs), so no page that makes it
# start many logins (a cookie bomb) can grow its Cookie header past what servers accept.
STATE_COOKIE_SLOTS = 5
# A person has this long between clicking the link in the LMS and the platform posting back.
STATE_MAX_AGE_SECONDS = 600
# Kept in the state so a launch that lost its cookies can be started again in a new window.
RELAUNCH_PARAMS = ("iss", "login_hint", "lti_message_hint", "target_link_uri", "client_id", "lti_deployment_id")


@dataclass(frozen=True)
class LoginState:
    state_id: str
    nonce: str
    login_params: dict[str, str] = field(default_factory=dict)
    # The LMS's storage frame (lti_storage_target) that also keeps this login, or "" when only the cookie does.
    storage_target: str = ""

    def relaunch_url(self, login_url: str) -> str | None:
        """The tool's login URL that starts this login again (in a new window, where cookies are first-party)."""
        if not self.login_params.get("iss") or not self.login_params.get("login_hint"):
            return None
        return login_url + "?" + urlencode(self.login_params)

    def without_storage(self) -> LoginState:
        return replace(self, storage_target="")


class StateSigner:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="peerlti.lti-state")

    def issue(self, login_params: dict[str, str], storage_target: str = "") -> tuple[str, LoginState]:
        state = LoginState(
            state_id=secrets.token_urlsafe(16),
            nonce=secrets.token_urlsafe(24),
            login_params={key: value for key, value in login_params.items() if key in RELAUNCH_PARAMS and value},
            storage_target=storage_target,
        )
        return self.sign(state), state

    def sign(self, state: LoginState) -> str:
        data = {"id": state.state_id, "n": state.nonce, "p": state.login_params}
        if state.storage_target:
            data["s"] = state.storage_target
        return self._serializer.dumps(data)

    def read(self, token: str | None) -> LoginState:
        if not token:
            raise LaunchRejected(N_("The launch has no state parameter, so it cannot be matched to a login."))
        try:
            data = self._serializer.loads(token, max_age=STATE_MAX_AGE_SECONDS)
        except SignatureExpired:
            raise LaunchRejected(
                N_("This launch took longer than 10 minutes to complete. "
                   "Go back to your course and open the activity again.")
            ) from None
        except BadSignature:
            raise LaunchRejected(N_("The launch state was not issued by this tool (state mismatch).")) from None
        return LoginState(state_id=data["id"], nonce=data["n"], login_params=data["p"], storage_target=data.get("s", ""))


@dataclass(frozen=True)
class StateCookies:
    """The state cookies a browser sent: a few named slots, each holding `issued-at-ms.state-id` of one login
    (milliseconds, so the logins of one burst still know which came first)."""

    cookies: Mapping[str, str]

    @classmethod
    def of(cls, cookies: Mapping[str, str]) -> StateCookies:
        return cls({name: value for name, value in cookies.items() if name.startswith(STATE_COOKIE_PREFIX)})

    @staticmethod
    def value(state: LoginState, now: float) -> str:
        return f"{int(now * 1000)}.{state.state_id}"

    def holding(self, state_id: str) -> str | None:
        """The name of the cookie that holds this login's state id, if this browser sent one."""
        for name, value in self.cookies.items():
            if value.rpartition(".")[2] == state_id:  # a cookie named after its state holds the bare id
                return name
        return None

    def slot_for_new_login(self, now: float) -> str:
        """A free or expired slot, chosen at random so tabs logging in at once rarely take the same one;
        when all hold live logins, the oldest one's."""
        issued = {slot: self._issued_at(slot) for slot in _SLOTS}
        free = [slot for slot, at in issued.items() if at is None or now - at > STATE_MAX_AGE_SECONDS]
        if free:
            return secrets.choice(free)
        return min(_SLOTS, key=lambda slot: issued[slot] or 0)

    def strays(self) -> list[str]:
        """State cookies outside the slots (set by earlier versions, or by a cookie bomb): to delete."""
        return [name for name in self.cookies if name not in _SLOTS]

    def _issued_at(self, name: str) -> float | None:
        issued, _, state_id = self.cookies.get(name, "").partition(".")
        return int(issued) / 1000 if issued.isdigit() and state_id else None


_SLOTS = tuple(f"{STATE_COOKIE_PREFIX}{slot}" for slot in range(STATE_COOKIE_SLOTS))
