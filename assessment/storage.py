"""Where uploaded files live: a small key-value interface, and its implementation on a local directory."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from assessment.errors import NotFound, StorageUnavailable
from assessment.messages import N_

_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
MAX_KEY_LENGTH = 1024
_TEMPORARY_PREFIX = ".partial-"


class FileStorage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalDirectoryStorage:
    """Files under one directory; keys are relative paths like `assignments/ab12/K7Q2MX9R/v1.pdf`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def save(self, key: str, data: bytes) -> None:
        """Write the whole file or nothing: readers never see half a file, even if the process dies mid-write."""
        path = self._path(key)
        try:
            self._write(path, data)
        except OSError as error:
            # A full or read-only disk is the server's problem: said plainly, and the caller keeps no row for it.
            raise StorageUnavailable(N_("The file could not be stored, because the server's storage is full or "
                                        "not writable. Nothing was lost: your earlier work is unchanged. Try "
                                        "again later, or tell your instructor.")) from error

    def _write(self, path: Path, data: bytes) -> None:
        _make_private_directories(path.parent)
        # mkstemp creates the file 0600, in the same directory so os.replace is an atomic rename.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY_PREFIX)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(path.parent)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise NotFound(N_("This file is no longer stored; ask your instructor about it.")) from error

    def delete(self, key: str) -> None:
        """Remove the file; deleting one already gone is not an error, so a repeated clean-up is harmless."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        segments = key.split("/")
        if (
            not key
            or len(key) > MAX_KEY_LENGTH
            or any(not _SEGMENT.fullmatch(segment) or segment in (".", "..") for segment in segments)
            or segments[-1].startswith(_TEMPORARY_PREFIX)
        ):
            raise ValueError(f"not a storage key (relative path of [A-Za-z0-9._-] segments): {key!r}")
        return self.root.joinpath(*segments)


def _make_private_directories(directory: Path) -> None:
    # Path.mkdir(parents=True) gives the parents default permissions; every level made here is private.
    missing = [level for level in (directory, *directory.parents) if not level.exists()]
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk; not every platform can open a directory.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
