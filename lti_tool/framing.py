"""Which sites may frame the tool: itself and the registered platforms' origins (CSP frame-ancestors)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.installation.canvas import CANVAS_ENVIRONMENTS
from lti_tool.registry import Platform

# An origin as CSP writes it: scheme, host (optionally every subdomain of one, as `*.`), port. Nothing else may
# reach the header, where a space or a semicolon would add sources or directives.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ORIGIN = re.compile(rf"^https?://(?:\*\.)?{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?$")
DEFAULT_PORTS = {"http": ":80", "https": ":443"}
# Instructure-hosted Canvas shows the tool inside each institution's own host under instructure.com, while its
# issuer and login URL name shared hosts; an institution's own domain is added as a framing origin.
CANVAS_FRAME_HOSTS = ("https://*.instructure.com",)
# The list is read from the database; a registration made by the CLI reaches every worker within this time.
CACHE_SECONDS = 60.0


def framing_origin(value: str) -> str | None:
    """`value` as a CSP origin (lower case, no default port, no trailing slash), or None if it is not one."""
    candidate = value.strip().rstrip("/").lower()
    parts = urlsplit(candidate)
    if parts.scheme in DEFAULT_PORTS and candidate.endswith(DEFAULT_PORTS[parts.scheme]):
        candidate = candidate[: -len(DEFAULT_PORTS[parts.scheme])]
    return candidate if _ORIGIN.match(candidate) else None


def url_origin(url: str) -> str | None:
    """The origin of an absolute http(s) URL, as CSP writes it; None for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc or "@" in parts.netloc:
        return None
    return framing_origin(f"{parts.scheme}://{parts.netloc}")


def platform_frame_origins(platform: Platform) -> set[str]:
    origins = {url_origin(platform.issuer), url_origin(platform.auth_login_url)}
    origins.update(framing_origin(origin) for origin in platform.framing_origins or [])
    if platform.issuer.rstrip("/") in CANVAS_ENVIRONMENTS:
        origins.update(CANVAS_FRAME_HOSTS)
    return {origin for origin in origins if origin}


def frame_ancestors(platforms: Iterable[Platform]) -> str:
    """The frame-ancestors sources: 'self' and every origin of the platforms; never `*`."""
    origins = set().union(*(platform_frame_origins(platform) for platform in platforms))
    return " ".join(["'self'", *sorted(origins)])


def registered_frame_ancestors(session: Session) -> str:
    return frame_ancestors(session.scalars(select(Platform)))


class FrameAncestorsCache:
    """The frame-ancestors of the registered platforms, computed at most once per CACHE_SECONDS."""

    def __init__(self, compute: Callable[[], str], seconds: float = CACHE_SECONDS) -> None:
        self._compute = compute
        self._seconds = seconds
        self._lock = threading.Lock()
        self._value: str | None = None
        self._expires = 0.0

    def get(self) -> str:
        with self._lock:
            if self._value is None or time.monotonic() >= self._expires:
                self._value = self._compute()
                self._expires = time.monotonic() + self._seconds
            return self._value

    def forget(self) -> None:
        with self._lock:
            self._value = None
