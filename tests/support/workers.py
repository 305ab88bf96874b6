"""A real Celery worker process, as production starts it, its output in a file the test reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_worker(env: dict[str, str], log_file: Path, loglevel: str = "INFO") -> subprocess.Popen:
    with log_file.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool", "solo",
             "--loglevel", loglevel, "--without-heartbeat", "--without-gossip", "--without-mingle"],
            env=os.environ | env, stdout=output, stderr=subprocess.STDOUT,
        )
