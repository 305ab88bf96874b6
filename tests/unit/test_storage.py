"""Stored files, in a local directory and in an S3 bucket: written whole or not at all, private to the tool, and
only under the storage root."""

import io
import os
import stat

import pytest

from assessment.errors import NotFound, StorageUnavailable, StorageUnreachable
from assessment.object_storage import S3Location, S3Storage
from assessment.storage import CHUNK_SIZE, FileStorage, LocalDirectoryStorage
from tests.support.redis_server import free_port

KEY = "assignments/ab12/K7Q2MX9R/v1.pdf"


@pytest.fixture
def storage(tmp_path) -> LocalDirectoryStorage:
    return LocalDirectoryStorage(tmp_path / "uploads")


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> FileStorage:
    """Each backend: what holds for one holds for the other."""
    if request.param == "local":
        return LocalDirectoryStorage(tmp_path / "uploads")
    server = request.getfixturevalue("s3_server")
    return S3Storage(server.location(server.new_bucket(), prefix="tool/uploads"))


def test_a_saved_file_reads_back_byte_for_byte(store):
    store.save(KEY, b"%PDF-1.7 the work")
    assert store.read(KEY) == b"%PDF-1.7 the work"
    assert store.exists(KEY)
    assert not store.exists("assignments/ab12/K7Q2MX9R/v2.pdf")


def test_local_storage_is_a_file_storage(storage):
    store: FileStorage = storage
    store.save("a.txt", b"x")
    assert store.exists("a.txt")


def test_a_stream_is_stored_from_its_position_and_read_back_in_chunks(store):
    data = os.urandom(2 * CHUNK_SIZE + 5)
    stream = io.BytesIO(b"skipped" + data)
    stream.seek(7)
    store.save_stream(KEY, stream)
    stored = store.open(KEY)
    try:
        assert stored.size == len(data)
        chunks = list(stored.chunks())
    finally:
        stored.close()
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= CHUNK_SIZE  # never the whole file at once
    with store.local_copy(KEY) as copy:
        assert copy.read() == data
        assert copy.fileno() >= 0  # a real file, for a child process to read


def test_a_file_larger_than_one_part_goes_up_in_parts_and_comes_back_whole(s3_server):
    store = S3Storage(s3_server.location(s3_server.new_bucket()))
    data = os.urandom(9 * 1024 * 1024)  # past the 8 MB multipart threshold
    store.save_stream(KEY, io.BytesIO(data))
    assert store.read(KEY) == data


def test_objects_are_named_by_the_prefix_and_the_key(s3_server):
    bucket = s3_server.new_bucket()
    S3Storage(s3_server.location(bucket, prefix="/peerlti/uploads/")).save(KEY, b"x")
    assert list(s3_server.objects(bucket)) == [f"peerlti/uploads/{KEY}"]
    S3Storage(s3_server.location(bucket)).save("a.txt", b"y")
    assert sorted(s3_server.objects(bucket)) == ["a.txt", f"peerlti/uploads/{KEY}"]


def test_a_store_that_does_not_answer_is_unreachable_with_a_message_and_keeps_nothing():
    store = S3Storage(S3Location(bucket="peerlti", endpoint_url=f"http://127.0.0.1:{free_port()}",
                                 region="us-east-1", access_key_id="x", secret_access_key="y",
                                 addressing_style="path", timeout_seconds=2))
    for operation in (lambda: store.save(KEY, b"x"), lambda: store.save_stream(KEY, io.BytesIO(b"x")),
                      lambda: store.read(KEY), lambda: store.open(KEY), lambda: store.exists(KEY),
                      lambda: store.delete(KEY), lambda: store.local_copy(KEY).__enter__()):
        with pytest.raises(StorageUnreachable) as raised:
            operation()
        assert isinstance(raised.value, StorageUnavailable)  # what callers already handle
        assert "Nothing was lost" in raised.value.message


def test_a_missing_bucket_is_unreachable_not_a_missing_file(s3_server):
    store = S3Storage(s3_server.location("no-such-bucket-here"))
    with pytest.raises(StorageUnreachable):
        store.save(KEY, b"x")


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


def test_reading_a_missing_file_is_not_found(store):
    for operation in (lambda: store.read("assignments/none.pdf"), lambda: store.open("assignments/none.pdf"),
                      lambda: store.local_copy("assignments/none.pdf").__enter__()):
        with pytest.raises(NotFound, match="no longer stored"):
            operation()


def test_reading_a_directory_is_not_found(storage):
    storage.save(KEY, b"x")
    with pytest.raises(NotFound):
        storage.read("assignments/ab12")  # a directory is not a file


def test_deleting_removes_the_file_and_is_safe_to_repeat(store):
    store.save(KEY, b"x")
    store.delete(KEY)
    assert not store.exists(KEY)
    store.delete(KEY)
    store.delete("never/saved.pdf")


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
def test_keys_outside_plain_relative_paths_are_refused(store, key):
    for operation in (lambda: store.save(key, b"x"), lambda: store.read(key), lambda: store.open(key),
                      lambda: store.save_stream(key, io.BytesIO(b"x")), lambda: store.local_copy(key).__enter__(),
                      lambda: store.delete(key), lambda: store.exists(key)):
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
