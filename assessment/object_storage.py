"""Uploaded files in an S3-compatible bucket (AWS S3, MinIO, Ceph...), behind the same interface as a local directory."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from assessment.errors import NotFound, StorageUnreachable
from assessment.messages import N_
from assessment.storage import CHUNK_SIZE, NOT_STORED, NOT_WRITTEN, check_key

NOT_READ = N_("The file cannot be read right now, because the server's file storage does not answer. Nothing was "
              "lost; try again in a few minutes, or tell your instructor if it lasts.")
_MISSING = {"404", "NoSuchKey", "NotFound"}
# Files past this size go up in parts of this size: a large upload is never held whole, and a failed part is resent.
_TRANSFER = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024,
                           io_chunksize=CHUNK_SIZE, use_threads=False)


@dataclass(frozen=True)
class S3Location:
    """Where the files live and how to reach the store; credentials None: boto3's own chain (environment, role)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    addressing_style: str = "auto"  # "path" for most self-hosted stores (MinIO), "virtual" or "auto" for AWS
    timeout_seconds: float = 10


class _S3File:
    def __init__(self, body: Any, size: int) -> None:
        self._body = body
        self.size = size

    def chunks(self) -> Iterator[bytes]:
        # A store that goes away halfway through raises here: a response already begun is cut short.
        yield from self._body.iter_chunks(CHUNK_SIZE)

    def close(self) -> None:
        self._body.close()


class S3Storage:
    """Keys as for a local directory, stored as `prefix/key` objects of one bucket. The store's errors become
    NotFound (no such object) or StorageUnreachable (anything else), each with a message a person can act on."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self._prefix = location.prefix.strip("/") + "/" if location.prefix.strip("/") else ""
        config = Config(
            connect_timeout=location.timeout_seconds, read_timeout=location.timeout_seconds,
            retries={"max_attempts": 2, "mode": "standard"}, s3={"addressing_style": location.addressing_style},
        )
        self._client = boto3.session.Session().client(
            "s3", endpoint_url=location.endpoint_url, region_name=location.region,
            aws_access_key_id=location.access_key_id, aws_secret_access_key=location.secret_access_key, config=config,
        )

    def save(self, key: str, data: bytes) -> None:
        self.save_stream(key, io.BytesIO(data))

    def save_stream(self, key: str, stream: BinaryIO) -> None:
        # An object appears whole or not at all (a multipart upload that fails is aborted by boto3).
        name = self._name(key)
        try:
            self._client.upload_fileobj(stream, self.location.bucket, name, Config=_TRANSFER)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnreachable(NOT_WRITTEN) from error

    def read(self, key: str) -> bytes:
        stored = self.open(key)
        try:
            return b"".join(stored.chunks())
        except (BotoCoreError, ClientError, OSError) as error:
            raise StorageUnreachable(NOT_READ) from error
        finally:
            stored.close()

    def open(self, key: str) -> _S3File:
        try:
            answer = self._client.get_object(Bucket=self.location.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as error:
            raise self._read_error(error) from error
        return _S3File(answer["Body"], int(answer["ContentLength"]))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[BinaryIO]:
        """Fetched into an anonymous temporary file (gone when closed, even if the process dies)."""
        with tempfile.TemporaryFile() as copy:
            try:
                self._client.download_fileobj(self.location.bucket, self._name(key), copy, Config=_TRANSFER)
            except (BotoCoreError, ClientError) as error:
                raise self._read_error(error) from error
            copy.seek(0)
            yield copy

    def delete(self, key: str) -> None:
        """Deleting a missing object is not an error in S3, so a repeated clean-up is harmless."""
        try:
            self._client.delete_object(Bucket=self.location.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageUnreachable(NOT_WRITTEN) from error

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.location.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as error:
            if _is_missing(error):
                return False
            raise StorageUnreachable(NOT_READ) from error
        return True

    def _name(self, key: str) -> str:
        check_key(key)
        return self._prefix + key

    @staticmethod
    def _read_error(error: Exception) -> NotFound | StorageUnreachable:
        return NotFound(NOT_STORED) if _is_missing(error) else StorageUnreachable(NOT_READ)


def _is_missing(error: Exception) -> bool:
    return isinstance(error, ClientError) and str(error.response.get("Error", {}).get("Code")) in _MISSING
