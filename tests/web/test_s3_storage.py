"""Uploads in an S3 bucket (STORAGE_URL=s3://...): handed in, checked and served through the tool, shared by every
instance, and a store that does not answer is a clear page, not an error, with nothing lost."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from assessment.models import SubmissionVersion
from assessment.object_storage import S3Location, S3Storage
from lti_tool.app import create_app
from lti_tool.database import dispose_database
from tests.conftest import make_settings
from tests.support.documents import AUTHOR, pdf_naming_its_author
from tests.support.live import LiveServer
from tests.support.redis_server import free_port
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import Visitor, page_text

pytestmark = pytest.mark.parametrize("lms", [{"storage": "s3"}], indirect=True)


def _hand_in(student: Visitor, session) -> SubmissionVersion:
    response = student.post("/links/{link}/submission", {"text": "An essay."},
                            files={"file": ("essay.pdf", pdf_naming_its_author())})
    assert response.status_code == 200, page_text(response)[:500]
    return see_committed(session).scalars(select(SubmissionVersion).where(SubmissionVersion.file_key.is_not(None))).one()


def _unreachable_store(lms) -> None:
    """The app's storage from now on: an S3 endpoint where nothing listens."""
    deps = lms.tool.app.extensions["peerlti.submission_deps"]
    lms.tool.app.extensions["peerlti.submission_deps"] = replace(deps, storage=S3Storage(S3Location(
        bucket="peerlti", endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1", access_key_id="x",
        secret_access_key="y", addressing_style="path", timeout_seconds=2)))


def test_a_hand_in_is_checked_from_the_bucket_stored_there_anonymised_and_served_only_through_the_tool(
        lms, student, session, s3_server, s3_bucket):
    version = _hand_in(student, session)

    objects = s3_server.objects(s3_bucket)
    assert list(objects) == [f"uploads/{version.file_key}"]  # the quarantined upload was deleted after its check
    assert AUTHOR.encode() not in objects[f"uploads/{version.file_key}"]
    assert not (lms.settings.instance_path / "uploads").exists()
    download = student.get(f"/links/{{link}}/files/{version.id}")
    assert download.status_code == 200 and download.content == objects[f"uploads/{version.file_key}"]
    assert download.headers["Content-Length"] == str(len(download.content))
    assert download.headers["Content-Disposition"].startswith("attachment;")
    other = Visitor(lms, "student-2")
    other.launch()
    assert other.get(f"/links/{{link}}/files/{version.id}").status_code == 404  # authorised first, as before


def test_a_second_instance_serves_the_file_the_first_stored(lms, student, session, s3_server, s3_bucket, tmp_path,
                                                            database_url):
    version = _hand_in(student, session)
    # Another instance: its own instance directory, the same database, secret and bucket.
    second = LiveServer("localhost")
    settings = make_settings(tmp_path / "second", database_url, lms.tool.url, **s3_server.env(s3_bucket))
    second.start(create_app(settings))
    try:
        # The same browser (cookies are per host, not per port): its session is good on the second instance too.
        download = student.browser.get(f"{second.url}/links/{student.link_id}/files/{version.id}", timeout=10)
        reading = student.browser.get(f"{second.url}/links/{student.link_id}/files/{version.id}/reading", timeout=10)
    finally:
        second.stop()
        dispose_database(second.app)
    assert download.status_code == 200 and download.content == s3_server.objects(s3_bucket)[
        f"uploads/{version.file_key}"]
    assert reading.status_code == 200 and reading.content == download.content
    assert not (tmp_path / "second" / "instance" / "uploads").exists()


def test_a_store_that_does_not_answer_gets_503_pages_saying_so_and_loses_nothing(lms, student, session, s3_server,
                                                                                 s3_bucket):
    version = _hand_in(student, session)
    stored = s3_server.objects(s3_bucket)
    counts = row_counts(session)
    _unreachable_store(lms)

    download = student.get(f"/links/{{link}}/files/{version.id}")
    hand_in = student.post("/links/{link}/submission", {"text": "A second version."},
                           files={"file": ("essay.pdf", pdf_naming_its_author())})
    ready = student.browser.get(f"{lms.tool.url}/readyz", timeout=30)

    assert download.status_code == 503, page_text(download)[:500]
    assert "cannot be read right now" in page_text(download) and "Nothing was lost" in page_text(download)
    assert hand_in.status_code == 503, page_text(hand_in)[:500]
    assert "could not be stored" in page_text(hand_in) and "Nothing was lost" in page_text(hand_in)
    assert ready.status_code == 503 and ready.json()["checks"]["storage"] == {"ok": False, "detail": "not writable"}
    assert row_counts(session) == counts and s3_server.objects(s3_bucket) == stored
