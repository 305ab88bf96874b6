"""A real Celery worker process, as production starts it, its output in a file the test reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The production commands (README, deploy/compose.yaml, deploy/systemd): the tests start the worker as the first.
WORKER_COMMAND = ("celery", "--quiet", "-A", "workers.celery_app", "worker", "--loglevel", "INFO")
BEAT_COMMAND = ("celery", "--quiet", "-A", "workers.celery_app", "beat", "--loglevel", "INFO")


def start_worker(env: dict[str, str], log_file: Path, loglevel: str = "INFO") -> subprocess.Popen:
    with log_file.open("wb") as output:
        return subprocess.Popen(
            # One process (solo) and no chatter between workers: quicker to start and stop in a test.
            [sys.executable, "-m", *WORKER_COMMAND[:-2], "--pool", "solo", "--loglevel", loglevel,
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            env=os.environ | env, stdout=output, stderr=subprocess.STDOUT,
        )


def start_named_worker(env: dict[str, str], log_file: Path, name: str) -> subprocess.Popen:
    """A worker with a node name of its own, as each of several workers on one host needs."""
    with log_file.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", *WORKER_COMMAND, "--pool", "solo", "--hostname", f"{name}@%h",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            env=os.environ | env, stdout=output, stderr=subprocess.STDOUT,
        )


def start_beat(env: dict[str, str], log_file: Path, schedule_file: Path) -> subprocess.Popen:
    """The one beat, its schedule state in `schedule_file` (not in the working directory)."""
    with log_file.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", *BEAT_COMMAND, "--schedule", str(schedule_file)],
            env=os.environ | env, stdout=output, stderr=subprocess.STDOUT,
        )
