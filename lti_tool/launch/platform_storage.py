"""LTI platform storage (lti.put_data / lti.get_data): the LMS's window keeps the login when cookies cannot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from hmac import compare_digest
from urllib.parse import urlsplit

from flask_babel import gettext

from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.state import LoginState

# `_parent` or the name of a frame in the LMS's window; anything else is ignored and the login uses cookies alone.
STORAGE_TARGET = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# How long the page waits for the LMS to answer a message before falling back (cookies, then a new window).
ANSWER_TIMEOUT_MS = 4000


def storage_target(requested: str | None) -> str:
    """The lti_storage_target a login asked for, if it is usable as a frame name; "" otherwise."""
    return requested if requested and STORAGE_TARGET.match(requested) else ""


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL. The LMS's storage is addressed at, and must answer from, the origin of its
    OIDC authorisation endpoint; never "*", which would hand the state to any window."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def state_key(state: LoginState) -> str:
    return f"peerlti_state_{state.state_id}"


def nonce_key(state: LoginState) -> str:
    return f"peerlti_nonce_{state.state_id}"


class PlatformStorageNeeded(Exception):
    """The state cookie did not come back but the login was also kept in the LMS's storage: ask the LMS for it."""

    def __init__(self, state: LoginState, relaunch_url: str | None) -> None:
        super().__init__(state.state_id)
        self.state = state
        self.relaunch_url = relaunch_url


@dataclass(frozen=True)
class PlatformStorageAnswer:
    """What the tool's launch page read back from the LMS's storage, posted to the tool with the id_token.

    The signed state stays the anchor: these values only stand in for the cookie that says "this browser
    started that login", so each must equal what the signed state names, or the launch is refused."""

    state: str
    nonce: str

    def verify(self, login: LoginState) -> None:
        if not login.storage_target:
            raise LaunchRejected(gettext("This launch did not start with the LMS's storage; open the activity again."))
        if not self.state or not compare_digest(self.state.encode(), login.state_id.encode()):
            raise LaunchRejected(gettext(
                "The LMS's storage holds a different state for this launch (state mismatch), so it may have been "
                "started by someone else. Open the activity again from your course."
            ))
        if not self.nonce or not compare_digest(self.nonce.encode(), login.nonce.encode()):
            raise LaunchRejected(gettext(
                "The LMS's storage holds a different nonce for this launch. Open the activity again from your course."
            ))
