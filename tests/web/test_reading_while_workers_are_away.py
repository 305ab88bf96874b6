"""With workers that have not made a DOCX's reading copy yet, the page says it is being prepared and the reader's
status route says when it is ready."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from assessment.models import FileCheck, Person, Review, SubmissionVersion
from tests.conftest import make_settings
from tests.support.documents import docx_naming_its_author, pdf_naming_its_author
from tests.support.lms import RunningLMS, start_lms
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


@pytest.fixture
def lms(session, tmp_path, database_url, sandbox_instance) -> Iterator[RunningLMS]:
    """The tool and the sandbox, with tasks sent to a broker nobody listens on: no copy is made meanwhile."""
    running = start_lms(session, lambda url: make_settings(
        tmp_path, database_url, url, CELERY_BROKER_URL="amqp://127.0.0.1:9//", CELERY_BROKER_TIMEOUT_SECONDS="1",
        LIBREOFFICE="sh"), sandbox_instance)  # any program on PATH: the web app only asks whether one is there
    yield running
    running.stop()


def test_the_page_says_a_readable_copy_is_being_prepared_until_a_worker_made_it(lms, instructor, session):
    students = {}
    for user, name, data in (("student-2", "essay.docx", docx_naming_its_author()),
                             ("student-1", "essay.pdf", pdf_naming_its_author())):
        students[user] = Visitor(lms, user)
        students[user].launch()
        assert students[user].post("/links/{link}/submission", {}, files={"file": (name, data)}).status_code == 200
    # The files' checks were sent to the absent workers too: run them here, as a worker would, so only the reading
    # copies are left waiting.
    check_file = lms.tool.app.extensions["peerlti.celery"].tasks["peerlti.check_file"]
    for check_id in see_committed(session).scalars(select(FileCheck.id)).all():
        assert check_file.apply(args=(check_id,)).get() == "ready"
    instructor.post("/links/{link}/phase", {"phase": "review"})
    reviewer = students["student-1"]
    reviewer.post("/links/{link}/reviews/next", {})
    reviewer_id = see_committed(session).scalars(select(Person.id).where(Person.subject == "student-1")).one()
    review = session.scalars(select(Review).where(Review.reviewer_id == reviewer_id)).one()

    page = reviewer.get(f"/links/{{link}}/reviews/{review.id}")
    preparing = reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading/status").json()
    version = session.get(SubmissionVersion, review.submission_version_id)
    version.reading_copy_key = "assignments/x/y/z.reading.pdf"  # a worker made it
    session.commit()
    ready = reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading/status").json()

    assert "Preparing a readable copy of this file" in page_text(page) and 'data-view="preparing"' in page.text
    assert 'src="/static/reader.js"' in page.text
    assert preparing["view"] == "preparing" and ready["view"] == "pdf"
