"""Running the check of one untrusted file in a fresh child process, under CPU, memory and wall-clock limits."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from assessment.messages import N_, Message
from assessment.upload_check import CheckedFile, message_from_json
from config.settings import FileCheckLimits

log = logging.getLogger(__name__)

# The child's exit status when the memory limit stopped it (a MemoryError it caught), distinct from a crash.
MEMORY_EXIT = 3
CHILD_MODULE = "workers.isolated_check"  # the program the child runs (tests put a hostile one in its place)
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Refused:
    message: Message
    limit: str | None = None  # "cpu", "memory" or "time" when a limit stopped the check, else None


@dataclass(frozen=True)
class IsolatedRun:
    outcome: CheckedFile | Refused
    seconds: float
    peak_memory_bytes: int  # the child's peak resident memory
    cpu_seconds: float = 0.0  # user and system time of the child: what RLIMIT_CPU counts


def run_isolated(data: bytes | BinaryIO, claimed_name: str, allowed: Collection[str],
                 limits: FileCheckLimits) -> IsolatedRun:
    """Check and strip `data` (the file, or a file object read to its end in chunks) in a child that sets its own
    rlimits first; the parent only feeds it, waits, reads and kills.

    A fresh interpreter rather than a fork: the parent (a web or Celery worker) may hold threads, connections and
    hundreds of MB of address space that a forked child would inherit and count against its memory limit."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", CHILD_MODULE, str(limits.cpu_seconds), str(limits.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, cwd=_PROJECT_ROOT,
            env=_child_environment(), start_new_session=True,
        )
        timed_out = threading.Event()
        reaping = threading.Lock()
        reaped: list[bool] = []  # once the child is reaped its process id may be reused: the timer must not signal it

        def kill() -> None:
            with reaping:
                if not reaped:
                    timed_out.set()
                    _kill_group(child.pid)  # the child leads its own group: anything it started goes with it

        timer = threading.Timer(limits.wall_seconds, kill)
        timer.start()
        request = json.dumps({"name": claimed_name, "allowed": sorted(allowed)}).encode() + b"\n"
        writer = threading.Thread(target=_feed, args=(child, request, data), daemon=True)
        writer.start()
        try:
            assert child.stdout is not None
            answer = child.stdout.read()
            child.stdout.close()
            os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # ended, still a zombie holding its id
            with reaping:
                reaped.append(True)
                # wait4, not Popen.wait: it returns the child's own resource usage (its peak memory).
                _, status, usage = os.wait4(child.pid, 0)
                child.returncode = os.waitstatus_to_exitcode(status)
        finally:
            timer.cancel()
            with reaping:
                if not reaped:  # interrupted before the child ended: it must not outlive the check
                    _kill_group(child.pid)
                    child.wait()
            writer.join()
        seconds = time.monotonic() - started
        outcome, reported = _outcome(child.returncode, answer, timed_out.is_set(), errors)
    # A child that answered says its own peak; for one stopped by a limit, the kernel's figure (an upper bound).
    return IsolatedRun(outcome, seconds, reported or usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)


def _feed(child: subprocess.Popen[bytes], request: bytes, data: bytes | BinaryIO) -> None:
    assert child.stdin is not None
    try:
        child.stdin.write(request)
        if isinstance(data, bytes):
            child.stdin.write(data)
        else:
            shutil.copyfileobj(data, child.stdin, 256 * 1024)
    except (BrokenPipeError, OSError):
        pass  # the child stopped reading: it refused the file early, or a limit stopped it
    finally:
        with contextlib.suppress(OSError):
            child.stdin.close()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _child_environment() -> dict[str, str]:
    # Only what an interpreter needs: the child has no business with the parent's secrets or database URL.
    environment = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
    environment["PYTHONPATH"] = str(_PROJECT_ROOT)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def _outcome(returncode: int, answer: bytes, timed_out: bool, errors: Any) -> tuple[CheckedFile | Refused, int | None]:
    too_complex = N_(
        "This file is too complex to check within the limits of the server (it needs too much time or memory), so "
        "it was not accepted. Save it again from the program that made it, or export it as PDF, make it smaller "
        "(for example with compressed pictures or fewer pages per file) and upload it again.")
    if timed_out:
        return Refused(too_complex, "time"), None
    if returncode == MEMORY_EXIT:
        return Refused(too_complex, "memory"), None
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Refused(too_complex, "cpu"), None
    header, _, payload = answer.partition(b"\n")
    if returncode == 0 and header:
        result = json.loads(header)
        if result["outcome"] == "passed":
            return CheckedFile(result["kind"], result["extension"], payload), result.get("peak")
        if result["outcome"] == "refused":
            return Refused(message_from_json(result["message"])), result.get("peak")
    errors.seek(0)
    log.error("the file check's child failed (exit %s): %s", returncode, errors.read()[-4000:].decode(errors="replace"))
    if returncode < 0:  # killed by another signal (a crash in a parser's C code, often memory running out)
        return Refused(too_complex, "memory"), None
    return Refused(N_("This file could not be checked. Save it again, or export it as PDF, and upload the new file; "
                      "if this keeps happening, tell your instructor.")), None

