"""Where uploaded files live: a small key-value interface, and its implementation on a local directory."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from assessment.errors import NotFound, StorageUnavailable
from assessment.messages import N_

_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
MAX_KEY_LENGTH = 1024
_TEMPORARY_PREFIX = ".partial-"
CHUNK_SIZE = 256 * 1024  # what a download or a copy moves at a time: never a whole file in memory

NOT_STORED = N_("This file is no longer stored; ask your instructor about it.")
NOT_WRITTEN = N_("The file could not be stored, because the server's storage is full or not writable. Nothing was "
                 "lost: your earlier work is unchanged. Try again later, or tell your instructor.")


class StoredFile(Protocol):
    """An open stored file: its size, read in chunks, then closed."""

    size: int

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class FileStorage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def save_stream(self, key: str, stream: BinaryIO) -> None:
        """Store what `stream` holds from its position to its end, read in chunks."""
        ...

    def read(self, key: str) -> bytes: ...

    def open(self, key: str) -> StoredFile:
        """The file opened for streaming; NotFound when missing. Errors reaching the store are raised here, before
        anything is sent, never halfway through a response."""
        ...

    def local_copy(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """The file as a local binary file object, for a child process to read (a temporary copy where needed)."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> list[str]:
    """The key's segments; ValueError unless it is a relative path of [A-Za-z0-9._-] segments (no `.`, `..`)."""
    segments = key.split("/")
    if (
        not key
        or len(key) > MAX_KEY_LENGTH
        or any(not _SEGMENT.fullmatch(segment) or segment in (".", "..") for segment in segments)
        or segments[-1].startswith(_TEMPORARY_PREFIX)
    ):
        raise ValueError(f"not a storage key (relative path of [A-Za-z0-9._-] segments): {key!r}")
    return segments


class _LocalFile:
    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.size = os.fstat(file.fileno()).st_size

    def chunks(self) -> Iterator[bytes]:
        while chunk := self._file.read(CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        self._file.close()


class LocalDirectoryStorage:
    """Files under one directory; keys are relative paths like `assignments/ab12/K7Q2MX9R/v1.pdf`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def save(self, key: str, data: bytes) -> None:
        """Write the whole file or nothing: readers never see half a file, even if the process dies mid-write."""
        self._save(key, lambda file: file.write(data))

    def save_stream(self, key: str, stream: BinaryIO) -> None:
        self._save(key, lambda file: shutil.copyfileobj(stream, file, CHUNK_SIZE))

    def _save(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        path = self._path(key)
        try:
            self._write(path, write)
        except OSError as error:
            # A full or read-only disk is the server's problem: said plainly, and the caller keeps no row for it.
            raise StorageUnavailable(NOT_WRITTEN) from error

    def _write(self, path: Path, write: Callable[[BinaryIO], object]) -> None:
        _make_private_directories(path.parent)
        # mkstemp creates the file 0600, in the same directory so os.replace is an atomic rename.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY_PREFIX)
        try:
            with os.fdopen(descriptor, "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(path.parent)

    def read(self, key: str) -> bytes:
        with self.local_copy(key) as file:
            return file.read()

    def open(self, key: str) -> StoredFile:
        return _LocalFile(self._open(key))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[BinaryIO]:
        # The file itself: it is replaced by rename, never rewritten, so an open one stays whole.
        with self._open(key) as file:
            yield file

    def _open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise NotFound(NOT_STORED) from error

    def delete(self, key: str) -> None:
        """Remove the file; deleting one already gone is not an error, so a repeated clean-up is harmless."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))


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
