"""A real Celery worker, reached through Redis, checks handed-in files in its limited child process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from assessment.assignment_settings import SubmissionKinds
from assessment.db import make_engine, make_session_factory
from assessment.models import Assignment, FileCheck, FileCheckStatus, SubmissionVersion
from assessment.object_storage import S3Storage
from assessment.phases import Phase
from assessment.services import HandIn, SubmissionDeps, UploadedFile, submit
from assessment.storage import FileStorage, LocalDirectoryStorage
from config.settings import Settings
from lti_tool import migrate
from tests.conftest import TEST_SECRET
from tests.support.cohort import create_cohort
from tests.support.documents import AUTHOR, pdf_naming_its_author, pdf_with_images
from tests.support.processes import stop_process
from workers.celery_app import make_celery


def _environment(tmp_path: Path, **limits: str) -> dict[str, str]:
    # The broker fixture named the broker in this process's environment, which the worker inherits.
    return {"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'peerlti.db'}",
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
            "CELERY_RESULT_BACKEND": os.environ["CELERY_RESULT_BACKEND"]} | limits


@pytest.fixture
def database(tmp_path, broker):
    url = _environment(tmp_path)["DATABASE_URL"]
    migrate.upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def _start_worker(tmp_path: Path, **limits: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=os.environ | _environment(tmp_path, **limits), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )


@pytest.fixture
def pdf() -> bytes:
    return pdf_naming_its_author()


def _hand_in(database, storage: FileStorage, pdf: bytes) -> int:
    """A student's PDF handed in and committed, its check waiting for a worker; the check's id."""
    now = datetime.now(UTC)
    with database() as session:
        cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1)
        session.execute(update(Assignment).values(
            phase_override=Phase.SUBMISSION, submission_kinds=SubmissionKinds.BOTH, file_types=["pdf"],
            submission_due=now.replace(year=now.year + 1)))
        session.commit()
        deps = SubmissionDeps(storage=storage, pseudonym_secret="secret")
        check = submit(session, HandIn(cohort.assignment_id, cohort.student_ids[0],
                                       file=UploadedFile("essay.pdf", pdf)), now, deps)
        session.commit()
        return check.id


@pytest.fixture
def hand_in(database, tmp_path, pdf) -> int:
    return _hand_in(database, LocalDirectoryStorage(tmp_path / "uploads"), pdf)


def _check_through_the_worker(tmp_path: Path, check_id: int, **limits: str) -> object:
    worker = _start_worker(tmp_path, **limits)
    celery = make_celery(Settings.from_env(_environment(tmp_path)))
    result = celery.send_task("peerlti.check_file", args=[check_id])
    try:
        return result.get(timeout=60)
    finally:
        result.forget()
        celery.close()
        stop_process(worker)


@pytest.mark.slow
def test_a_worker_checks_a_handed_in_file_and_it_becomes_an_anonymised_version(database, hand_in, tmp_path):
    assert _check_through_the_worker(tmp_path, hand_in) == "ready"

    with database() as session:
        version = session.scalars(select(SubmissionVersion).where(SubmissionVersion.file_key.is_not(None))).one()
        stored = (tmp_path / "uploads" / version.file_key).read_bytes()
        assert stored.startswith(b"%PDF") and AUTHOR.encode() not in stored
        assert session.get(FileCheck, hand_in).raw_key is None
    assert not list((tmp_path / "uploads" / "quarantine").iterdir())


@pytest.mark.slow
def test_a_worker_checks_a_file_held_in_s3_and_stores_its_anonymised_version_there(database, tmp_path, pdf,
                                                                                    s3_server, s3_bucket):
    check_id = _hand_in(database, S3Storage(s3_server.location(s3_bucket, prefix="uploads")), pdf)
    assert [key.split("/")[1] for key in s3_server.objects(s3_bucket)] == ["quarantine"]

    # The worker fetches the file into a temporary file for its child, then stores the result in the bucket.
    assert _check_through_the_worker(tmp_path, check_id, **s3_server.env(s3_bucket)) == "ready"

    objects = s3_server.objects(s3_bucket)
    with database() as session:
        version = session.scalars(select(SubmissionVersion).where(SubmissionVersion.file_key.is_not(None))).one()
        assert list(objects) == [f"uploads/{version.file_key}"]  # the file as uploaded is gone
    stored = objects[f"uploads/{version.file_key}"]
    assert stored.startswith(b"%PDF") and AUTHOR.encode() not in stored
    assert not (tmp_path / "uploads").exists()  # nothing went to the local directory


@pytest.mark.slow
@pytest.mark.parametrize("pdf", [pdf_with_images(images=20, total_mb=30)], ids=["30 MB of pictures"])
def test_the_workers_limits_hold_a_file_too_big_for_them_is_refused_as_too_complex(database, hand_in, tmp_path):
    # 128 MB of address space: the PDF parser needs about seven times a PDF's size.
    assert _check_through_the_worker(tmp_path, hand_in, FILE_CHECK_MEMORY_MB="128") == "refused"

    with database() as session:
        check = session.get(FileCheck, hand_in)
        assert check.status is FileCheckStatus.REFUSED and "too complex to check" in check.refusal["template"]
        assert session.scalars(select(SubmissionVersion).where(SubmissionVersion.file_key.is_not(None))).all() == []
