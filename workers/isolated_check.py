"""The child process that checks one uploaded file: limits itself first, then reads, checks and answers."""

from __future__ import annotations

import json
import os
import resource
import sys

MB = 1024 * 1024


def limit_self(cpu_seconds: int, memory_mb: int) -> None:
    """CPU past the soft limit raises SIGXCPU (which ends the process), the hard one a second later SIGKILL; memory
    past the limit makes allocations fail (a MemoryError); no core file of a student's document is ever written."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MB, memory_mb * MB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def peak_memory() -> int | None:
    """This program's peak resident memory in bytes. Not ru_maxrss: Linux carries that over from the forked copy of
    the parent the process was before it started this program, so it would report the parent's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _out_of_memory(error: BaseException) -> bool:
    cause = error.__cause__ or error.__context__
    while cause is not None:
        if isinstance(cause, MemoryError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def main(arguments: list[str]) -> int:
    limit_self(int(arguments[0]), int(arguments[1]))
    # Imported under the limits: whatever the parsers do on import counts too.
    from assessment.errors import UploadRejected
    from assessment.messages import Message
    from assessment.upload_check import check_upload, message_to_json
    from workers.isolation import MEMORY_EXIT

    out = sys.stdout.buffer
    try:
        request = json.loads(sys.stdin.buffer.readline())
        data = sys.stdin.buffer.read()
        checked = check_upload(data, request["name"], request["allowed"])
        header: dict[str, object] = {"outcome": "passed", "kind": checked.kind, "extension": checked.extension,
                                     "peak": peak_memory()}
        out.write(json.dumps(header).encode() + b"\n")
        out.write(checked.data)
    except UploadRejected as refusal:
        if _out_of_memory(refusal):
            os._exit(MEMORY_EXIT)  # a parser took the memory limit for a damaged file: it is the limit that spoke
        message = refusal.message if isinstance(refusal.message, Message) else Message(refusal.message, {})
        header = {"outcome": "refused", "message": message_to_json(message), "peak": peak_memory()}
        out.write(json.dumps(header).encode() + b"\n")
    except MemoryError:
        os._exit(MEMORY_EXIT)  # nothing more can be allocated safely, not even for an answer
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
