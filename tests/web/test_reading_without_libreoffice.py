"""Where the server has no LibreOffice, a DOCX is offered as a download with a sentence saying why it is not shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from assessment.models import Assignment, Person, Review, SubmissionVersion
from tests.conftest import make_settings
from tests.support.documents import docx_naming_its_author
from tests.support.lms import RunningLMS, start_lms
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


@pytest.fixture
def lms(session, tmp_path, database_url, sandbox_instance) -> Iterator[RunningLMS]:
    """The tool and the sandbox, with the tool told that no LibreOffice is installed."""
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, LIBREOFFICE="off"),
                        sandbox_instance)
    yield running
    running.stop()


@pytest.mark.parametrize("download", [True, False], ids=["download allowed", "download turned off"])
def test_without_libreoffice_a_docx_is_offered_as_a_download_saying_why_it_is_not_shown(lms, instructor, session,
                                                                                        download):
    session.execute(update(Assignment).values(reviewers_may_download=download))
    session.commit()
    students = {}
    for user, name, data in (("student-2", "essay.docx", docx_naming_its_author()),
                             ("student-1", "other.docx", docx_naming_its_author("Someone Else"))):
        students[user] = Visitor(lms, user)
        students[user].launch()
        assert students[user].post("/links/{link}/submission", {}, files={"file": (name, data)}).status_code == 200
    instructor.post("/links/{link}/phase", {"phase": "review"})
    reviewer = students["student-1"]
    reviewer.post("/links/{link}/reviews/next", {})
    reviewer_id = see_committed(session).scalars(select(Person.id).where(Person.subject == "student-1")).one()
    review = session.scalars(select(Review).where(Review.reviewer_id == reviewer_id)).one()

    page = reviewer.get(f"/links/{{link}}/reviews/{review.id}")

    text = page_text(page)
    assert "cannot be shown in the page, because the server has no LibreOffice" in text
    assert (f"/reviews/{review.id}/file" in page.text) is download
    assert "reader.js" not in page.text
    assert reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading").status_code == 404
    assert session.get(SubmissionVersion, review.submission_version_id).reading_copy_key is None
