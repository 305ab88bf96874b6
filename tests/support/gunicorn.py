"""gunicorn as production runs it (`gunicorn -c config/gunicorn.py lti_tool.wsgi:app`), as a child process of a test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.processes import stop_process

ROOT = Path(__file__).resolve().parents[2]


def listening_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, handed to gunicorn (`fd://`): the port is known before it starts,
    and no other process can take it in between."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener


@dataclass
class Gunicorn:
    process: subprocess.Popen
    url: str
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text()

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not accepting yet, or its workers still booting
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        stop_process(self.process, grace_seconds=35)  # gunicorn's graceful timeout is 30 s


def serve_command(bind: str) -> list[str]:
    """The production command (deploy/Dockerfile's CMD, compose.yaml's web, the systemd unit), run from the root."""
    return ["gunicorn", "-c", "config/gunicorn.py", "--bind", bind, "lti_tool.wsgi:app"]


def start_gunicorn(env: dict[str, str], log_file: Path, listener: socket.socket | None = None) -> Gunicorn:
    """Start gunicorn on `listener` (a fresh one if None) with `env` added to this process's environment; its
    output (access and error logs, and the app's) goes to `log_file`."""
    listener = listener or listening_socket()
    port = listener.getsockname()[1]
    with log_file.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", *serve_command(f"fd://{listener.fileno()}")],
            cwd=ROOT, env=os.environ | env, stdout=output, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),),
        )
    listener.close()  # the child holds its own copy
    return Gunicorn(process=process, url=f"http://localhost:{port}", log_file=log_file)
