"""Deep linking requests awaiting the tool's answer: the opaque `data` each sent, good for one response."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

# Long enough for an instructor to set an activity up in the tool's picker, short enough to forget strays.
REQUEST_LIFETIME_SECONDS = 2 * 60 * 60


class DeepLinkDataRefused(Exception):
    """The response's data does not answer a request that is still waiting; the message says why."""


@dataclass(frozen=True)
class DeepLinkRequest:
    data: str
    user_id: str
    issued_at: float
    # The added link whose content is picked again, keeping its id (as Open edX does); None adds a new link.
    link_id: str | None = None


class PendingDeepLinks:
    """In memory: a restart forgets open requests, which only means choosing the activity again."""

    def __init__(self, lifetime_seconds: float = REQUEST_LIFETIME_SECONDS) -> None:
        self._lifetime = lifetime_seconds
        self._lock = threading.Lock()
        self._pending: dict[str, DeepLinkRequest] = {}
        # Kept so a replay is told apart from a forgery; as bounded as the requests themselves.
        self._answered: dict[str, float] = {}

    def issue(self, user_id: str, link_id: str | None = None) -> DeepLinkRequest:
        request = DeepLinkRequest(data=secrets.token_urlsafe(24), user_id=user_id, issued_at=time.monotonic(),
                                  link_id=link_id)
        with self._lock:
            self._forget_expired()
            self._pending[request.data] = request
        return request

    def redeem(self, data: str) -> DeepLinkRequest:
        """The request this data was sent with, which no later response can use again."""
        with self._lock:
            self._forget_expired()
            request = self._pending.pop(data, None)
            if request is not None:
                self._answered[data] = request.issued_at
                return request
            if data in self._answered:
                raise DeepLinkDataRefused(
                    "data was already used by an earlier deep linking response; each request is answered once."
                )
        raise DeepLinkDataRefused(
            "data does not match any open deep linking request of this platform "
            "(it must echo deep_linking_settings.data unchanged, and requests expire after "
            f"{self._lifetime / 60:.0f} minutes)."
        )

    def _forget_expired(self) -> None:
        oldest = time.monotonic() - self._lifetime
        self._pending = {data: r for data, r in self._pending.items() if r.issued_at >= oldest}
        self._answered = {data: at for data, at in self._answered.items() if at >= oldest}
