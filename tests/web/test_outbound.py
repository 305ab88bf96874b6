"""The guarded outbound client against real local HTTP servers: refused hosts, redirects, size and time limits."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask, Response, redirect

from lti_tool.outbound import (
    OutboundClient,
    OutboundPolicy,
    OutboundRefused,
    OutboundTimeout,
    OutboundTooLarge,
    OutboundUnreachable,
)
from tests.support.live import LiveServer

LOCAL = OutboundPolicy(allowed_hosts=frozenset({"localhost", "127.0.0.1", "::1"}), https_only=False,
                       connect_timeout=2, read_timeout=2, deadline_seconds=3)
NOTHING_ALLOWED = OutboundPolicy(allowed_hosts=frozenset(), https_only=False)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bare listening socket, to tell whether anything connected at all."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.3)
        yield sock


def nothing_connected(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except TimeoutError:
        return True
    connection.close()
    return False


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, int]]]:
    live = LiveServer("localhost")
    app = Flask(__name__)
    hits = {"target": 0}

    @app.get("/redirect")
    def redirecting():
        return redirect(f"{live.url}/target", 302)

    @app.get("/target")
    def target():
        hits["target"] += 1
        return {"reached": True}

    @app.get("/large")
    def large():
        return "x" * (3 * 1024 * 1024)

    @app.get("/large-streamed")
    def large_streamed():
        return Response(b"x" * 65536 for _ in range(64))

    @app.get("/slow")
    def slow():
        time.sleep(4)
        return "late"

    @app.get("/drip")
    def drip():
        def body():
            for _ in range(100):
                time.sleep(0.25)
                yield b"x"
        return Response(body())

    live.start(app)
    yield live.url, hits
    live.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_loopback_host_that_is_not_allowed_is_refused_before_any_connection(listener, host):
    port = listener.getsockname()[1]

    with pytest.raises(OutboundRefused):
        OutboundClient(NOTHING_ALLOWED).get(f"http://{host}:{port}/openid-configuration")

    assert nothing_connected(listener)


def test_plain_http_is_refused_before_any_connection_in_production(listener):
    production = OutboundPolicy(allowed_hosts=frozenset({"127.0.0.1"}), https_only=True)

    with pytest.raises(OutboundRefused):
        OutboundClient(production).get(f"http://127.0.0.1:{listener.getsockname()[1]}/")

    assert nothing_connected(listener)


def test_an_allowed_host_is_reached(server):
    url, hits = server

    response = OutboundClient(LOCAL).get(f"{url}/target")

    assert response.status == 200 and response.json() == {"reached": True} and hits["target"] == 1


def test_the_connection_goes_to_the_address_checked_once_not_to_a_second_lookup(server):
    url, _ = server
    lookups = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    pinned = OutboundPolicy(allowed_hosts=frozenset({"lms.invalid"}), https_only=False)
    response = OutboundClient(pinned, resolver).get(url.replace("localhost", "lms.invalid") + "/target")

    assert response.status == 200 and lookups == ["lms.invalid"]


def test_redirects_are_answered_not_followed(server):
    url, hits = server

    response = OutboundClient(LOCAL).get(f"{url}/redirect")

    assert response.status == 302 and hits["target"] == 0


@pytest.mark.parametrize("path", ["/large", "/large-streamed"])
def test_an_answer_larger_than_the_limit_is_not_read(server, path):
    url, _ = server

    with pytest.raises(OutboundTooLarge):
        OutboundClient(LOCAL).get(url + path)


@pytest.mark.slow
def test_a_platform_that_does_not_answer_times_out(server):
    url, _ = server

    with pytest.raises(OutboundTimeout):
        OutboundClient(LOCAL).get(f"{url}/slow")


@pytest.mark.slow
def test_an_answer_dripped_slowly_is_cut_at_the_total_deadline(server):
    url, _ = server
    started = time.monotonic()

    with pytest.raises(OutboundTimeout):
        OutboundClient(LOCAL).get(f"{url}/drip")

    assert time.monotonic() - started < LOCAL.deadline_seconds + 1.5


def test_a_closed_port_is_unreachable(listener):
    port = listener.getsockname()[1]
    listener.close()

    with pytest.raises(OutboundUnreachable):
        OutboundClient(LOCAL).get(f"http://127.0.0.1:{port}/")
