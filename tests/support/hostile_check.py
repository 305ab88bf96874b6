"""A stand-in for the file check's child that misbehaves as a hostile file would make a parser: it hangs, spins or
grows, as the first word of the file it is sent says, after setting the same limits on itself as the real one."""

from __future__ import annotations

import sys
import time

from workers.isolated_check import limit_self
from workers.isolation import MEMORY_EXIT


def main(arguments: list[str]) -> None:
    limit_self(int(arguments[0]), int(arguments[1]))
    sys.stdin.buffer.readline()
    behaviour = sys.stdin.buffer.read().split(b" ", 1)[0]
    if behaviour == b"hang":
        time.sleep(3600)  # blocked on nothing, using no CPU: only the wall clock stops it
    elif behaviour == b"spin":
        while True:
            pass
    elif behaviour == b"grow":
        try:
            chunks = []
            while True:
                chunks.append(bytearray(16 * 1024 * 1024))
        except MemoryError:
            chunks.clear()
            sys.exit(MEMORY_EXIT)  # what the real child does when the limit stops it
    elif behaviour == b"crash":
        raise RuntimeError("a bug in a parser")


if __name__ == "__main__":
    main(sys.argv[1:])
