"""Platform key sets: read through the guarded client, cached per URL, re-read at most once a minute for unknown kids."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from freezegun import freeze_time

from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.platform_keys import COOLDOWN_SECONDS, PlatformKeyCache
from lti_tool.outbound import OutboundClient, OutboundPolicy
from tests.support.lms import RunningLMS
from tests.support.tokens import genuine_launch, sign_token

LOCAL = OutboundPolicy(allowed_hosts=frozenset({"localhost"}), https_only=False)


class CountingRequests:
    """WSGI middleware counting the sandbox's answers per path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.paths[environ.get("PATH_INFO", "")] += 1
        return self.app(environ, start_response)


def count_requests(lms: RunningLMS) -> CountingRequests:
    counting = CountingRequests(lms.sandbox._server.app)
    lms.sandbox._server.app = counting
    return counting


@pytest.mark.slow
def test_fifty_launches_with_unknown_kids_read_the_key_set_once(lms):
    counting = count_requests(lms)
    pending, claims, header = genuine_launch(lms, "student-1")

    answers = {pending.post(id_token=sign_token(lms, claims, header | {"kid": uuid.uuid4().hex})).status_code
               for _ in range(50)}

    assert answers == {401}
    assert counting.paths["/jwks"] == 1
    assert pending.post().status_code == 200, "the genuine launch still verifies with the cached key"
    assert counting.paths["/jwks"] == 1


def test_a_launch_for_an_unregistered_issuer_reads_no_key_set(lms):
    counting = count_requests(lms)
    pending, claims, header = genuine_launch(lms, "student-1")
    claims["iss"] = "https://unregistered.example"

    response = pending.post(id_token=sign_token(lms, claims, header | {"kid": uuid.uuid4().hex}))

    assert response.status_code == 403
    assert counting.paths["/jwks"] == 0


def _unknown_kid(cache: PlatformKeyCache, url: str) -> None:
    with pytest.raises(LaunchRejected) as refusal:
        cache.public_key(url, uuid.uuid4().hex)
    assert refusal.value.status == 401


def test_after_the_cooldown_an_unknown_kid_reads_the_key_set_again(lms):
    counting = count_requests(lms)
    url = f"{lms.sandbox.url}/jwks"
    cache = PlatformKeyCache(OutboundClient(LOCAL))

    with freeze_time() as clock:
        _unknown_kid(cache, url)
        clock.tick(COOLDOWN_SECONDS - 1)
        _unknown_kid(cache, url)
        within = counting.paths["/jwks"]
        clock.tick(2)
        _unknown_kid(cache, url)

    assert (within, counting.paths["/jwks"]) == (1, 2)


def test_concurrent_launches_with_unknown_kids_read_the_key_set_once(lms):
    counting = count_requests(lms)
    url = f"{lms.sandbox.url}/jwks"
    cache = PlatformKeyCache(OutboundClient(LOCAL))
    start = threading.Barrier(16)
    refusals: list[int] = []

    def launch() -> None:
        start.wait()
        try:
            cache.public_key(url, uuid.uuid4().hex)
        except LaunchRejected as refusal:
            refusals.append(refusal.status)

    threads = [threading.Thread(target=launch) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert refusals == [401] * 16
    assert counting.paths["/jwks"] == 1


def test_a_key_set_at_an_address_the_tool_may_not_reach_refuses_the_launch_without_connecting(lms):
    cache = PlatformKeyCache(OutboundClient(OutboundPolicy(allowed_hosts=frozenset(), https_only=False)))
    counting = count_requests(lms)

    with pytest.raises(LaunchRejected) as refusal:
        cache.public_key(f"{lms.sandbox.url}/jwks", "any")

    assert refusal.value.status == 502 and counting.paths["/jwks"] == 0
