"""The upload storage the settings name: an S3-compatible bucket (STORAGE_URL) or the instance's `uploads` directory."""

from __future__ import annotations

from functools import cache

from assessment.object_storage import S3Location, S3Storage
from assessment.storage import FileStorage, LocalDirectoryStorage
from config.settings import Settings


def file_storage(settings: Settings) -> FileStorage:
    """The same store for the web app and the workers, so a file one instance stored is there for every other."""
    if settings.object_storage is None:
        return LocalDirectoryStorage(settings.instance_path / "uploads")
    return _s3(settings)


@cache
def _s3(settings: Settings) -> S3Storage:
    # One client per process: boto3 builds it slowly, and it keeps its connections to the store alive between uses.
    store = settings.object_storage
    assert store is not None
    return S3Storage(S3Location(
        bucket=store.bucket, prefix=store.prefix, endpoint_url=store.endpoint_url, region=store.region,
        access_key_id=store.access_key_id, secret_access_key=store.secret_access_key,
        addressing_style=store.addressing_style, timeout_seconds=settings.http_timeout_seconds,
    ))
