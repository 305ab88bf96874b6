"""The one HTTP client for addresses that came from outside: public addresses, no redirects, size and time limits."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import parse_header_links
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

from assessment.messages import N_
from config.settings import Settings

log = logging.getLogger(__name__)

# Every document the tool reads from a platform (configuration, key set, token, a roster page) is far smaller.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_URL_LENGTH = 2048
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits; that address is the one reached.
NAT64 = ipaddress.ip_network("64:ff9b::/96")

# host, port -> the IP addresses it resolves to
Resolver = Callable[[str, int], list[str]]


class OutboundError(Exception):
    """A request that was not sent or got no usable answer; the message is the tool's own words, never the remote's
    (a `Message`, so that a reason kept for staff is read in their language)."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OutboundRefused(OutboundError):
    """The address is one the tool may not reach: its scheme, its host or an address the host resolves to."""


class OutboundUnreachable(OutboundError):
    """The host did not resolve, or refused or dropped the connection."""

    retryable = True


class OutboundTimeout(OutboundError):
    """No complete answer within the time limits."""

    retryable = True


class OutboundTooLarge(OutboundError):
    """The answer is larger than the tool reads."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refusal(address: str) -> str | None:
    """Why the tool may not connect to this IP address (in words), or None for a public unicast address.

    Rules: 1. an IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by that
    IPv4 address, the one the packets reach; 2. unspecified, loopback, link-local, multicast, reserved, private
    and site-local addresses are refused; 3. so is anything else IANA does not mark globally reachable."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(str(embedded))
    for flag, reason in (("is_unspecified", N_("an unspecified address")), ("is_loopback", N_("a loopback address")),
                         ("is_link_local", N_("a link-local address")), ("is_multicast", N_("a multicast address")),
                         ("is_reserved", N_("a reserved address")), ("is_private", N_("a private address")),
                         ("is_site_local", N_("a site-local address"))):
        if getattr(ip, flag, False):
            return reason
    return None if ip.is_global else N_("an address that is not publicly routable")


def _literal_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class OutboundPolicy:
    """What the tool may reach and how long and how much it reads."""

    allowed_hosts: frozenset[str] = frozenset()
    https_only: bool = True
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline_seconds: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        timeout = settings.http_timeout_seconds
        return cls(
            allowed_hosts=frozenset(settings.outbound_allowed_hosts),
            https_only=settings.is_production,
            connect_timeout=min(timeout, 5.0),
            read_timeout=timeout,
            # A platform that drips its answer byte by byte never trips the read timeout; this bounds the whole.
            deadline_seconds=timeout * 3,
        )

    def host_of(self, url: str) -> tuple[str, int]:
        """The URL's host and port when its form is one the tool may request, else OutboundRefused."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
            raise OutboundRefused(N_("%(url)s is not a well-formed address.", url=repr(url[:200]))) from None
        schemes = ("https",) if self.https_only else ("http", "https")
        if parts.scheme not in schemes:
            raise OutboundRefused(N_("%(url)s is not an https address.", url=repr(url[:200])) if self.https_only
                                  else N_("%(url)s is not an http or https address.", url=repr(url[:200])))
        if not parts.hostname or len(url) > MAX_URL_LENGTH:
            raise OutboundRefused(N_("%(url)s is not a well-formed address.", url=repr(url[:200])))
        if parts.username is not None or parts.password is not None:
            raise OutboundRefused(N_("%(url)s carries a user name or password; the tool does not send them.",
                                     url=repr(url[:200])))
        return parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)

    def addresses(self, host: str, port: int, resolver: Resolver = system_resolver) -> list[str]:
        """The addresses to connect to for host: all of them allowed, else OutboundRefused (nothing is tried)."""
        host = host.lower().removeprefix("[").removesuffix("]")
        try:
            addresses = [host] if _literal_ip(host) else resolver(host, port)
        except (OSError, UnicodeError):
            raise OutboundUnreachable(N_("%(host)s could not be resolved.", host=host)) from None
        if not addresses:
            raise OutboundUnreachable(N_("%(host)s could not be resolved.", host=host))
        if host not in self.allowed_hosts:
            # Every address must pass, not just the first: a name may resolve to a public and a private one.
            for address in addresses:
                if reason := address_refusal(address):
                    raise OutboundRefused(N_("%(host)s is %(reason)s (%(address)s); the tool does not connect "
                                             "there. An administrator may allow it with OUTBOUND_ALLOWED_HOSTS.",
                                             host=host, reason=reason, address=address))
        return addresses

    def check_registered(self, url: str, resolver: Resolver = system_resolver) -> None:
        """Refuse an endpoint a registration names that the tool (or a browser it redirects) must not reach.

        A name that does not resolve here is accepted: every request to it is checked again when it is made."""
        host, port = self.host_of(url)
        with contextlib.suppress(OutboundUnreachable):
            self.addresses(host, port, resolver)


@dataclass(frozen=True)
class OutboundResponse:
    """A complete answer, read within the limits."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    # The status line's reason phrase: Moodle's LTI services put their refusal's words there, not in the body.
    reason: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def status_line(self) -> str:
        return f"HTTP {self.status}"

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body) if self.body else None

    @property
    def links(self) -> dict[str, str]:
        """The Link header's URLs by relation (paging of AGS and NRPS)."""
        header = self.headers.get("Link")
        if not header:
            return {}
        return {link["rel"]: link["url"] for link in parse_header_links(header) if link.get("rel") and link.get("url")}


class _Deadline:
    """Shuts the sockets of one request down when its total time is up, ending any read blocked on them."""

    _current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        deadline: _Deadline | None = getattr(cls._current, "deadline", None)
        if deadline is None or sock is None:
            return
        with deadline._lock:
            deadline._sockets.append(sock)
            if deadline.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Deadline:
        self._current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._current.deadline = None


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _PinnedConnection(HTTPConnection):
    """Connects to an address the policy checked when resolving, never to a second resolution's answer
    (DNS rebinding); TLS still verifies the certificate against the host name."""

    policy: OutboundPolicy
    resolver: Resolver

    def _new_conn(self) -> socket.socket:
        error: Exception | None = None
        for address in self.policy.addresses(self.host, self.port, self.resolver):
            try:
                sock = create_connection((address, self.port), self.timeout, source_address=self.source_address,
                                         socket_options=self.socket_options)
            except TimeoutError:
                error = ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
            except OSError as failure:
                error = NewConnectionError(self, f"Failed to establish a new connection: {failure}")
            else:
                _Deadline.watch(sock)
                return sock
        assert error is not None
        raise error

    def request(self, *args: Any, **kwargs: Any) -> None:
        _Deadline.watch(self.sock)  # a kept-alive connection's socket, reused for this request
        super().request(*args, **kwargs)


class _PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    pass


class _GuardedAdapter(HTTPAdapter):
    """Pools whose connections are pinned; no proxy (it would hide the address reached from the checks)."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver) -> None:
        bound = {"policy": policy, "resolver": staticmethod(resolver)}
        self._pools = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,),
                         {"ConnectionCls": type("GuardedHTTPConnection", (_PinnedConnection,), bound)}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": type("GuardedHTTPSConnection", (_PinnedHTTPSConnection,), bound)}),
        }
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


class OutboundClient:
    """Sends requests under an OutboundPolicy; answers are read whole (within the limits) or not at all."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self._http = requests.Session()
        # No credentials from ~/.netrc for hosts a platform named.
        self._http.auth = lambda prepared: prepared
        adapter = _GuardedAdapter(policy, resolver)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundClient:
        return cls(OutboundPolicy.from_settings(settings))

    def get(self, url: str, **kwargs: Any) -> OutboundResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> OutboundResponse:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, data: Any = None, json: Any = None,
                max_bytes: int | None = None) -> OutboundResponse:
        host, _ = self.policy.host_of(url)
        limit = max_bytes or self.policy.max_bytes
        # Compressed answers are a way to make a small response large; ask for none.
        sent_headers = {"Accept-Encoding": "identity", **(headers or {})}
        deadline = _Deadline(self.policy.deadline_seconds)
        try:
            with deadline:
                response = self._http.request(
                    method, url, headers=sent_headers, params=params, data=data, json=json, allow_redirects=False,
                    stream=True, timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                )
                try:
                    body = _read_capped(response, limit, host)
                finally:
                    response.close()
        except OutboundError:
            raise
        except requests.Timeout:
            raise OutboundTimeout(N_("%(host)s did not answer in time.", host=host)) from None
        except (requests.RequestException, OSError) as error:
            if deadline.expired:
                raise OutboundTimeout(N_("%(host)s did not answer completely within %(seconds)s seconds.",
                                         host=host, seconds=self.policy.deadline_seconds)) from None
            raise OutboundUnreachable(N_("%(host)s could not be reached (%(error)s).", host=host,
                                         error=error.__class__.__name__)) from None
        if response.status_code >= 400:
            log.debug("%s %s answered HTTP %s: %r", method, url, response.status_code, body[:500])
        return OutboundResponse(status=response.status_code, headers=response.headers, body=body,
                                reason=response.reason or "")


def _read_capped(response: requests.Response, limit: int, host: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OutboundTooLarge(N_("The answer of %(host)s is larger than %(limit)s bytes.", host=host, limit=limit))
    chunks: list[bytes] = []
    size = 0
    for chunk in _chunks(response):
        size += len(chunk)
        if size > limit:
            raise OutboundTooLarge(N_("The answer of %(host)s is larger than %(limit)s bytes.", host=host, limit=limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    yield from response.iter_content(chunk_size=16384)
