"""A handed-in file is checked off the request, in a child process: the student waits on "being checked", reviewers
and staff never reach a file that has not passed, a lost check is run again, and a bomb costs the web process nothing."""

from __future__ import annotations

import io
import re
import resource
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from assessment.db import utcnow
from assessment.models import FileCheck, FileCheckStatus, Person, SubmissionVersion
from lti_tool.views import student as student_views
from tests.support.documents import AUTHOR, docx_bomb, pdf_naming_its_author
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text

ESSAY = ("Amara_Okafor_essay.pdf", pdf_naming_its_author(), "application/pdf")


@pytest.fixture
def held_checks(monkeypatch) -> list[int]:
    """The checks a hand-in sent to the workers, held as a broker holds them until a worker takes them."""
    sent: list[int] = []
    monkeypatch.setattr(student_views, "enqueue", lambda task, check_id: sent.append(check_id))
    return sent


def _run_task(lms, name: str, *args: int) -> object:
    return lms.tool.app.extensions["peerlti.celery"].tasks[name].apply(args=args).get()


def _uploads(lms) -> list[bytes]:
    root = lms.settings.instance_path / "uploads"
    return [path.read_bytes() for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _check(session) -> FileCheck:
    return see_committed(session).scalars(select(FileCheck)).one()


def test_a_hand_in_answers_before_its_file_is_checked_and_the_page_says_it_is_being_checked(
        student, session, lms, held_checks):
    started = time.monotonic()
    response = student.post("/links/{link}/submission", {"text": "My essay"}, files={"file": ESSAY})

    assert time.monotonic() - started < 5 and response.status_code == 200
    assert held_checks == [_check(session).id]
    text = page_text(response)
    assert "Handed in: version 1" in text and "your file is being checked" in text
    assert "See whether the check is done" in text  # the way on without JavaScript
    assert "Next: wait for the check of your file" in text and "Next: hand in your work" not in text
    status_url = f"/links/{{link}}/hand-ins/{held_checks[0]}/status"
    assert f'data-check-status="/links/{student.link_id}/hand-ins/{held_checks[0]}/status' in response.text
    assert student.get(status_url).json() == {"status": "checking"}
    assert see_committed(session).scalars(select(SubmissionVersion)).all() == []
    # Only the file as uploaded is stored, under a quarantine key.
    check = _check(session)
    assert check.raw_key.startswith("quarantine/") and _uploads(lms) == [ESSAY[1]]
    assert "Amara" not in check.claimed_name


def test_the_page_shows_the_checked_version_once_the_worker_has_checked_it(student, session, lms, held_checks):
    student.post("/links/{link}/submission", {"text": "My essay"}, files={"file": ESSAY})

    assert _run_task(lms, "peerlti.check_file", held_checks[0]) == "ready"

    assert student.get(f"/links/{{link}}/hand-ins/{held_checks[0]}/status").json() == {"status": "ready"}
    page = student.get("/links/{link}")
    assert "being checked" not in page_text(page) and "data-check-status" not in page.text
    version = see_committed(session).scalars(select(SubmissionVersion)).one()
    assert version.number == 1 and version.text_html == "My essay" and version.file_kind == "pdf"
    assert version.submitted_at == _check(session).submitted_at  # the upload's time, not the check's end
    (stored,) = _uploads(lms)  # the raw upload is gone; only the anonymised file is left
    assert AUTHOR.encode() not in stored and len(PdfReader(io.BytesIO(stored)).pages) == 1
    assert student.get(f"/links/{{link}}/files/{version.id}").content == stored
    assert _check(session).raw_key is None


def test_a_refused_file_is_shown_with_its_reason_and_what_to_do_and_the_earlier_version_still_counts(
        student, session, lms, held_checks):
    student.post("/links/{link}/submission", {"text": "First draft"})
    student.post("/links/{link}/submission", files={"file": ("essay.pdf", b"%PDF-1.7\nnot really a PDF")})

    assert _run_task(lms, "peerlti.check_file", held_checks[0]) == "refused"

    assert student.get(f"/links/{{link}}/hand-ins/{held_checks[0]}/status").json() == {"status": "refused"}
    text = page_text(student.get("/links/{link}"))
    assert "Version 2, handed in" in text and "was not accepted" in text and "could not be read as a PDF" in text
    assert "Your version 1 still counts" in text
    assert [v.text_html for v in see_committed(session).scalars(select(SubmissionVersion))] == ["First draft"]
    assert _uploads(lms) == []  # the refused file as uploaded is deleted
    assert _check(session).refusal["template"].startswith("This file could not be read as a PDF")


def test_the_text_handed_in_with_a_refused_file_waits_in_the_form_to_be_sent_again(student, session, lms,
                                                                                   held_checks):
    student.post("/links/{link}/submission", {"text": "<p>My long answer</p>"},
                 files={"file": ("essay.pdf", b"%PDF-1.7\nbroken")})
    _run_task(lms, "peerlti.check_file", held_checks[0])

    page = student.get("/links/{link}")

    assert re.search(r'<textarea[^>]*name="text"[^>]*>\s*&lt;p&gt;My long answer&lt;/p&gt;</textarea>', page.text)


def test_only_the_author_may_ask_how_their_check_stands(lms, student, instructor, session, held_checks):
    student.post("/links/{link}/submission", files={"file": ESSAY})
    other = Visitor(lms, "student-2")
    other.launch()
    path = f"/links/{{link}}/hand-ins/{held_checks[0]}/status"

    assert student.get(path).status_code == 200
    assert other.get(path).status_code == 404
    assert instructor.get(path).status_code == 404
    assert student.get(f"/links/{{link}}/hand-ins/{held_checks[0] + 1}/status").status_code == 404


def test_reviewers_and_staff_are_never_served_a_file_still_being_checked(lms, instructor, student, session,
                                                                          held_checks):
    student.post("/links/{link}/submission", files={"file": ESSAY})
    reviewer = Visitor(lms, "student-2")
    reviewer.launch()
    reviewer.post("/links/{link}/submission", {"text": "My own essay"})  # checked at once: text only
    instructor.post("/links/{link}/phase", {"phase": "review"})
    author = see_committed(session).scalars(select(Person.id).where(Person.subject == "student-1")).one()

    nothing = reviewer.post("/links/{link}/reviews/next")
    work = instructor.get(f"/links/{{link}}/students/{author}/work")
    roster = instructor.get("/links/{link}/submissions")

    assert "/reviews/" not in nothing.url  # no review handed out: the only other work is being checked
    assert "/files/" not in work.text and "/files/" not in roster.text
    assert "Version 1, handed in" in page_text(work) and "its file is being checked" in page_text(work)
    for guess in range(1, 4):  # whatever id a reviewer or staff tries, no file of a hand-in being checked is served
        for visitor in (reviewer, instructor):
            tried = visitor.get(f"/links/{{link}}/files/{guess}")
            assert ESSAY[1] not in tried.content
            assert tried.status_code == 404 and "That file does not exist" in page_text(tried)
    assert ESSAY[1] not in nothing.content + work.content + roster.content
    _run_task(lms, "peerlti.check_file", held_checks[0])
    served = reviewer.post("/links/{link}/reviews/next")
    assert "/reviews/" in served.url
    download = reviewer.get(served.url.removeprefix(lms.tool.url) + "/file")
    assert download.status_code == 200 and AUTHOR.encode() not in download.content


def test_a_check_whose_worker_was_killed_runs_again_when_redelivered_and_a_second_run_changes_nothing(
        student, session, lms, held_checks):
    student.post("/links/{link}/submission", files={"file": ESSAY})
    # A worker started on it an hour ago and died: the check is still "being checked", its message redelivered.
    session.execute(update(FileCheck).values(claimed_at=utcnow() - timedelta(hours=1), attempts=1))
    session.commit()

    assert _run_task(lms, "peerlti.check_file", held_checks[0]) == "ready"

    assert _check(session).attempts == 2
    assert _run_task(lms, "peerlti.check_file", held_checks[0]) is None
    assert _run_task(lms, "peerlti.sweep_file_checks") == 0
    assert len(see_committed(session).scalars(select(SubmissionVersion)).all()) == 1 and len(_uploads(lms)) == 1


def test_the_sweep_sends_a_stale_check_to_the_workers_again(student, session, lms, held_checks):
    student.post("/links/{link}/submission", files={"file": ESSAY})
    session.execute(update(FileCheck).values(claimed_at=utcnow() - timedelta(hours=1), attempts=1))
    session.commit()

    assert _run_task(lms, "peerlti.sweep_file_checks") == 1

    assert _check(session).status is FileCheckStatus.READY
    assert "being checked" not in page_text(student.get("/links/{link}"))


def test_a_check_started_moments_ago_is_left_to_its_worker(student, session, lms, held_checks):
    student.post("/links/{link}/submission", files={"file": ESSAY})
    session.execute(update(FileCheck).values(claimed_at=utcnow(), attempts=1))
    session.commit()

    assert _run_task(lms, "peerlti.sweep_file_checks") == 0
    assert _run_task(lms, "peerlti.check_file", held_checks[0]) is None
    assert _check(session).status is FileCheckStatus.CHECKING


def test_a_check_that_never_ends_is_refused_after_three_attempts_with_a_reason(student, session, lms, held_checks):
    student.post("/links/{link}/submission", files={"file": ESSAY})
    session.execute(update(FileCheck).values(claimed_at=utcnow() - timedelta(hours=1), attempts=3))
    session.commit()

    assert _run_task(lms, "peerlti.sweep_file_checks") == 0

    assert _check(session).status is FileCheckStatus.REFUSED and _uploads(lms) == []
    assert "could not be checked" in page_text(student.get("/links/{link}"))


def test_with_eager_tasks_the_file_is_still_checked_in_a_child_process(student, session, lms, monkeypatch):
    def in_this_process(data: bytes, kind: str) -> bytes:
        raise RuntimeError("stripped inside the web process")

    for module in ("assessment.anonymity", "assessment.upload_check"):
        monkeypatch.setattr(f"{module}.strip_identity", in_this_process)

    response = student.post("/links/{link}/submission", files={"file": ESSAY})

    assert response.status_code == 200 and "Submitted: version 1" in page_text(response)
    assert _check(session).status is FileCheckStatus.READY


def test_a_bomb_is_refused_on_the_page_and_the_web_process_does_not_grow(student, session, lms):
    bomb = docx_bomb(190)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()

    response = student.post("/links/{link}/submission", files={"file": ("essay.docx", bomb)})

    assert time.monotonic() - started < 10
    assert response.status_code == 400 and "unpacks to far more data" in page_text(response)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KiB: the child did the work
    assert see_committed(session).scalars(select(SubmissionVersion)).all() == [] and _uploads(lms) == []


def test_without_a_broker_a_check_the_web_process_died_in_is_run_again_when_its_author_looks(
        student, session, lms, monkeypatch):
    # The hand-in committed, then the process died before (or while) checking: nothing ever ran the check.
    monkeypatch.setattr(student_views, "enqueue", lambda task, check_id: None)
    student.post("/links/{link}/submission", files={"file": ESSAY})
    monkeypatch.undo()
    session.execute(update(FileCheck).values(claimed_at=utcnow() - timedelta(hours=1), attempts=1))
    session.commit()

    page = student.get("/links/{link}")

    assert "being checked" not in page_text(page) and "submission-" in page_text(page)
    assert _check(session).status is FileCheckStatus.READY


def test_without_a_broker_a_check_under_way_is_not_started_twice_by_a_look(student, session, lms, monkeypatch):
    monkeypatch.setattr(student_views, "enqueue", lambda task, check_id: None)
    student.post("/links/{link}/submission", files={"file": ESSAY})
    monkeypatch.undo()
    session.execute(update(FileCheck).values(claimed_at=utcnow(), attempts=1))
    session.commit()

    assert student.get(f"/links/{{link}}/hand-ins/{_check(session).id}/status").json() == {"status": "checking"}
    assert "being checked" in page_text(student.get("/links/{link}"))
    assert _check(session).attempts == 1


def test_reviewers_get_the_last_version_that_passed_never_a_refused_or_unchecked_one(lms, instructor, student, session,
                                                                                      held_checks):
    student.post("/links/{link}/submission", {"text": "The version that passed"})
    student.post("/links/{link}/submission", {"text": "Refused"}, files={"file": ("essay.pdf", b"%PDF-1.7\nbroken")})
    _run_task(lms, "peerlti.check_file", held_checks[0])
    student.post("/links/{link}/submission", {"text": "Still being checked"}, files={"file": ESSAY})
    reviewer = Visitor(lms, "student-2")
    reviewer.launch()
    reviewer.post("/links/{link}/submission", {"text": "My own essay"})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    review = reviewer.post("/links/{link}/reviews/next")

    assert "/reviews/" in review.url
    assert "The version that passed" in page_text(review)
    assert "Refused" not in page_text(review) and "Still being checked" not in page_text(review)
    assert re.search(r"/reviews/\d+/file", review.text) is None  # the version that passed has no file to offer
