"""Stopping a child process the tests started: politely first, then for good."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen, grace_seconds: float = 10) -> None:
    """Terminate, wait up to `grace_seconds`, then kill: a hung worker must not hang the suite."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
