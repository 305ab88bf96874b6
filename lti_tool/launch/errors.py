"""Why a login or launch was refused, in words a person can act on."""

from __future__ import annotations


class LaunchRejected(Exception):
    """A login or launch the tool refuses; `reason` is shown to the person, `status` is the HTTP code."""

    status = 400

    def __init__(self, reason: str, *, status: int | None = None, relaunch_url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status
        self.relaunch_url = relaunch_url


class CookiesLost(LaunchRejected):
    """The browser did not send back the cookie set at login, usually because it blocks them in iframes."""

    status = 401
