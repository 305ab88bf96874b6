"""Stored files: written whole or not at all, private to the tool, and only under the storage root."""

import os
import stat

import pytest

from assessment.errors import NotFound, StorageUnavailable
from assessment.storage import FileStorage, LocalDirectoryStorage

KEY = "assignments/ab12/K7Q2MX9R/v1.pdf"


@pytest.fixture
def storage(tmp_path) -> LocalDirectoryStorage:
    return LocalDirectoryStorage(tmp_path / "uploads")


def test_a_saved_file_reads_back_byte_for_byte(storage):
    storage.save(KEY, b"%PDF-1.7 the work")
    assert storage.read(KEY) == b"%PDF-1.7 the work"
    assert storage.exists(KEY)


def test_local_storage_is_a_file_storage(storage):
    store: FileStorage = storage
    store.save("a.txt", b"x")
    assert store.exists("a.txt")


def test_saving_again_replaces_the_file_and_leaves_no_temporary_files(storage, tmp_path):
    storage.save(KEY, b"first")
    storage.save(KEY, b"second")
    assert storage.read(KEY) == b"second"
    assert os.listdir(tmp_path / "uploads/assignments/ab12/K7Q2MX9R") == ["v1.pdf"]


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(storage, tmp_path, monkeypatch):
    storage.save(KEY, b"complete")

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StorageUnavailable):
        storage.save(KEY, b"half written")
    assert storage.read(KEY) == b"complete"
    assert os.listdir(tmp_path / "uploads/assignments/ab12/K7Q2MX9R") == ["v1.pdf"]


def test_files_are_readable_by_the_tool_only(storage, tmp_path):
    storage.save(KEY, b"private")
    mode = stat.S_IMODE((tmp_path / "uploads" / KEY).stat().st_mode)
    assert mode == 0o600
    directory_mode = stat.S_IMODE((tmp_path / "uploads/assignments").stat().st_mode)
    assert directory_mode & 0o077 == 0


def test_reading_a_missing_file_is_not_found(storage):
    with pytest.raises(NotFound, match="no longer stored"):
        storage.read("assignments/none.pdf")
    storage.save(KEY, b"x")
    with pytest.raises(NotFound):
        storage.read("assignments/ab12")  # a directory is not a file


def test_deleting_removes_the_file_and_is_safe_to_repeat(storage):
    storage.save(KEY, b"x")
    storage.delete(KEY)
    assert not storage.exists(KEY)
    storage.delete(KEY)
    storage.delete("never/saved.pdf")


@pytest.mark.parametrize("key", [
    "",
    "../escape.pdf",
    "assignments/../../escape.pdf",
    "/etc/passwd",
    "assignments//v1.pdf",
    "assignments/v1.pdf/",
    "assignments\\v1.pdf",
    "assignments/./v1.pdf",
    "assignments/v 1.pdf",
    "assignments/ünïcode.pdf",
    "assignments/.partial-abc",
    "x" * 1025,
])
def test_keys_outside_plain_relative_paths_are_refused(storage, key):
    for operation in (lambda: storage.save(key, b"x"), lambda: storage.read(key),
                      lambda: storage.delete(key), lambda: storage.exists(key)):
        with pytest.raises(ValueError, match="not a storage key"):
            operation()


def test_nothing_is_written_outside_the_root(storage, tmp_path):
    with pytest.raises(ValueError):
        storage.save("../outside.txt", b"x")
    assert not (tmp_path / "outside.txt").exists()


def test_a_directory_that_cannot_be_made_is_reported_as_storage_unavailable(tmp_path):
    occupied = tmp_path / "uploads"
    occupied.write_bytes(b"")  # a regular file where the directory should be: fails even for root

    with pytest.raises(StorageUnavailable):
        LocalDirectoryStorage(occupied).save("assignments/a1/P1/v1.pdf", b"%PDF-1.7")
