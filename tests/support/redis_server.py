"""A Redis server of a test's own, on a free port, that the test can stop and start again (an outage on demand)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import redis

from tests.support.processes import stop_process
from tests.support.services import service_missing


def free_port() -> int:
    """A port nothing listens on (bound and released at once): a closed port for "unreachable", or one to serve on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """`redis-server` on 127.0.0.1:`port`, without persistence; `stop()` and `start()` as often as a test likes."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> RedisServer:
        executable = shutil.which("redis-server")
        if executable is None:
            service_missing("redis-server is not installed")
        self._process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None
