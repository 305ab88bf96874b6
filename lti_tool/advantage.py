"""LTI Advantage clients usable without a request: AGS line items and scores, NRPS rosters, shared tokens."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Protocol

import jwt

from assessment.messages import N_, Message
from lti_tool.key_vault import SigningKey
from lti_tool.outbound import OutboundClient, OutboundError, OutboundResponse
from lti_tool.registry import Platform

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# A token is reused until this close to its expiry, so no request carries one that dies on the way.
TOKEN_MARGIN_SECONDS = 60
# Statuses worth trying again: the platform is down, overloaded or throttling (Canvas throttles with 403 too,
# but 403 also means "not allowed", so it is treated as permanent unless it says it is a rate limit).
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A platform's own short reason (OAuth `error_description` or `error`) is kept on outbox rows, cut to this length:
# "userId is not a student in this course" tells an instructor what to fix; the rest of a body is never kept.
MAX_REASON_LENGTH = 160
# Some platforms (Moodle) send a whole course's roster in one page: a large course's is several megabytes.
MAX_ROSTER_PAGE_BYTES = 32 * 1024 * 1024
_NOT_PLAIN = re.compile(r"[^\w .,:;'\"()/#@+\-]", re.UNICODE)


class AdvantageError(Exception):
    """A call to the platform failed; `retryable` says whether trying later may succeed. `message` is a `Message`
    (its English text is the exception's), kept with its parameters so staff read it in their language."""

    def __init__(self, message: str, *, status: int | None, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class TokenCache(Protocol):
    """Where access tokens are shared between worker processes (Redis, or the database without Redis)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, token: str, ttl_seconds: int) -> None: ...

    def forget(self, key: str) -> None: ...

    def lock(self, key: str) -> AbstractContextManager[object]: ...


@dataclass(frozen=True)
class ToolCredentials:
    platform: Platform
    key: SigningKey


class AdvantageClient:
    """One platform's services, for one tool key, with tokens shared through a cache."""

    def __init__(self, credentials: ToolCredentials, cache: TokenCache, *, http: OutboundClient) -> None:
        self._platform = credentials.platform
        self._key = credentials.key
        self._cache = cache
        # Every address here came from a platform (registration or launch claims): the guarded client only.
        self._http = http
        self.tokens_requested = 0

    @property
    def platform(self) -> Platform:
        return self._platform

    # --- tokens ---------------------------------------------------------------------------------------------

    def _token_key(self, scopes: tuple[str, ...]) -> str:
        return "peerlti:token:" + hashlib.sha256(
            f"{self._platform.issuer}|{self._platform.client_id}|{' '.join(sorted(scopes))}".encode()
        ).hexdigest()

    def access_token(self, scopes: tuple[str, ...]) -> str:
        cache_key = self._token_key(scopes)
        cached = self._cache.get(cache_key)
        if cached:
            return cached
        with self._cache.lock(cache_key):
            # Another worker may have fetched it while this one waited: one token per platform and scope.
            return self._cache.get(cache_key) or self._fetch_token(cache_key, scopes)

    def _fetch_token(self, cache_key: str, scopes: tuple[str, ...]) -> str:
        now = int(time.time())
        assertion = jwt.encode(
            {"iss": self._platform.client_id, "sub": self._platform.client_id,
             "aud": self._platform.audience or self._platform.auth_token_url,
             "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex},
            self._key.private_key_pem, algorithm="RS256", headers={"kid": self._key.kid},
        )
        body = self._send("POST", self._platform.auth_token_url, data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }, what=N_("an access token"))
        self.tokens_requested += 1
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise AdvantageError(N_("The platform's token answer has no access_token."), status=None, retryable=False)
        lifetime = int(body.get("expires_in") or 3600)
        self._cache.put(cache_key, token, max(1, lifetime - TOKEN_MARGIN_SECONDS))
        return token

    # --- AGS ------------------------------------------------------------------------------------------------

    def find_or_create_line_item(self, lineitems_url: str, spec: dict[str, Any]) -> dict[str, Any]:
        """The line item for `spec["resourceId"]`, created when the LMS has none (never a duplicate)."""
        token = self.access_token((LINEITEM_SCOPE,))
        for item in self._paged(lineitems_url, LINEITEMS_TYPE, token, {"resource_id": spec["resourceId"]}):
            if item.get("resourceId") == spec["resourceId"]:
                return item
        created = self._send("POST", lineitems_url, json=spec, token=token, what=N_("a new gradebook column"),
                             headers={"Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE})
        return created if isinstance(created, dict) else {}

    def result_of(self, lineitem_url: str, user_id: str) -> dict[str, Any] | None:
        """The gradebook's current result for one student on a line item, None when it has none."""
        token = self.access_token((RESULT_SCOPE,))
        for result in self._paged(_under(lineitem_url, "results"), RESULTS_TYPE, token, {"user_id": user_id}):
            if isinstance(result, dict) and result.get("userId") == user_id:
                return result
        return None

    def post_score(self, lineitem_url: str, score: dict[str, Any]) -> None:
        url = _under(lineitem_url, "scores")
        for attempt in (1, 2):
            token = self.access_token((SCORE_SCOPE,))
            try:
                self._send("POST", url, json=score, token=token, what=N_("a score"),
                           headers={"Content-Type": SCORE_TYPE})
                return
            except AdvantageError as error:
                # A cached token the platform no longer accepts (revoked, clock skew): fetch a new one, once.
                if error.status != 401 or attempt == 2:
                    raise
                self._cache.forget(self._token_key((SCORE_SCOPE,)))

    # --- NRPS -----------------------------------------------------------------------------------------------

    def members(self, memberships_url: str) -> Iterator[dict[str, Any]]:
        token = self.access_token((NRPS_SCOPE,))
        for page in self._pages(memberships_url, MEMBERS_TYPE, token, {}, max_bytes=MAX_ROSTER_PAGE_BYTES):
            yield from page.get("members", []) if isinstance(page, dict) else []

    # --- HTTP -----------------------------------------------------------------------------------------------

    def _paged(self, url: str, media_type: str, token: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        for page in self._pages(url, media_type, token, params):
            yield from page if isinstance(page, list) else []

    def _pages(self, url: str, media_type: str, token: str, params: dict[str, str],
               max_bytes: int | None = None) -> Iterator[Any]:
        next_url: str | None = url
        first = True
        while next_url:
            response = self._request("GET", next_url, token=token, headers={"Accept": media_type},
                                     params=params if first else None, what=N_("a list"), max_bytes=max_bytes)
            first = False
            yield _json(response)
            next_url = response.links.get("next")

    def _send(self, method: str, url: str, *, what: Message, token: str | None = None, **kwargs: Any) -> Any:
        return _json(self._request(method, url, token=token, what=what, **kwargs))

    def _request(self, method: str, url: str, *, what: Message, token: str | None, **kwargs: Any) -> OutboundResponse:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except OutboundError as error:
            raise AdvantageError(N_("The platform did not answer a request for %(what)s: %(error)s",
                                    what=what, error=error.message),
                                 status=None, retryable=error.retryable) from None
        if 300 <= response.status < 400:
            raise AdvantageError(N_("The platform answered a request for %(what)s with a redirect (%(status)s), "
                                    "which peerlti does not follow.", what=what, status=response.status_line),
                                 status=response.status, retryable=False)
        if response.status >= 400:
            retryable = response.status in RETRYABLE_STATUSES or _is_rate_limit(response)
            reason = platform_reason(response)
            refusal = (N_('The platform refused %(what)s (%(status)s): the LMS says "%(reason)s".',
                          what=what, status=response.status_line, reason=reason) if reason else
                       N_("The platform refused %(what)s (%(status)s).", what=what, status=response.status_line))
            raise AdvantageError(refusal, status=response.status, retryable=retryable,
                                 retry_after=retry_after_seconds(response))
        return response


def _under(lineitem_url: str, service: str) -> str:
    # A line item's scores and results live below it, before any query string the platform put on its URL.
    path, _, query = lineitem_url.partition("?")
    return path.rstrip("/") + "/" + service + ("?" + query if query else "")


def platform_reason(response: OutboundResponse) -> str:
    """The platform's short reason, sanitised and capped (kept in its own words); else nothing.

    Read, in this order: an OAuth-style JSON `error_description` (or `error`) string; Canvas's
    `{"errors": {"message": ...}}` (or a list of such); Moodle's reason phrase when it is not the status's standard
    one (its services answer "409 Refusing score with an earlier timestamp ..." with no body). An HTML page or
    other free text in a body is never kept."""
    reason = _json_reason(response) or _own_reason_phrase(response)
    if not reason:
        return ""
    plain = " ".join(_NOT_PLAIN.sub(" ", reason).split())
    if len(plain) > MAX_REASON_LENGTH:
        plain = plain[:MAX_REASON_LENGTH - 1].rstrip() + "…"
    return plain


def _json_reason(response: OutboundResponse) -> str:
    try:
        document = response.json()
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    reason = document.get("error_description") or document.get("error")
    if isinstance(reason, str):
        return reason
    errors = document.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else errors
    message = first.get("message") if isinstance(first, dict) else None
    return message if isinstance(message, str) else ""


def _own_reason_phrase(response: OutboundResponse) -> str:
    try:
        standard = HTTPStatus(response.status).phrase
    except ValueError:
        standard = ""
    phrase = response.reason.strip()
    return "" if phrase.lower() == standard.lower() else phrase


def _json(response: OutboundResponse) -> Any:
    try:
        document = response.json()
    except ValueError:
        return {}
    return {} if document is None else document


def _is_rate_limit(response: OutboundResponse) -> bool:
    # Canvas's older throttling answers 403 with "Rate Limit Exceeded" and X-Rate-Limit-Remaining near zero.
    return response.status == 403 and b"rate limit" in response.body[:4096].lower()


def retry_after_seconds(response: OutboundResponse, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds, whether given as a number or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now())
