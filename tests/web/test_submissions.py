"""Students hand in text and files; files are anonymised; late work follows the policy; nothing partial is kept."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from assessment.grading import LatePolicy
from assessment.models import Assignment, FileCheck, FileCheckStatus, Submission, SubmissionVersion
from assessment.services import update_settings
from tests.support.documents import AUTHOR, ELF_PROGRAM, docx_naming_its_author, pdf_naming_its_author
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import Visitor, page_text


def _assignment(session) -> Assignment:
    return see_committed(session).scalars(select(Assignment)).one()


def _uploads(lms) -> Path:
    return lms.settings.instance_path / "uploads"


def _stored_files(lms) -> list[Path]:
    root = _uploads(lms)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _without_checks(counts: dict[str, int]) -> dict[str, int]:
    return {table: count for table, count in counts.items() if table not in ("submissions", "file_checks")}


def _move_deadline(session, *, due_in: timedelta, policy: LatePolicy) -> None:
    assignment = _assignment(session)
    settings = assignment.settings
    now = datetime.now(UTC)
    timeline = replace(settings.timeline, submission_opens=now - timedelta(days=10), submission_due=now + due_in,
                       review_opens=now + timedelta(days=5), review_due=now + timedelta(days=9),
                       results_release=now + timedelta(days=10))
    update_settings(session, assignment.id, replace(settings, timeline=timeline, late_policy=policy), now)
    session.commit()


def test_a_student_hands_in_text_and_sees_it_sanitised(student, session):
    response = student.post("/links/{link}/submission",
                            {"text": "<p>My essay</p><script>alert('x')</script><b onclick='steal()'>bold</b>"})

    assert response.status_code == 200 and "Submitted: version 1" in response.text
    version = see_committed(session).scalars(select(SubmissionVersion)).one()
    assert "<p>My essay</p>" in version.text_html
    assert "<script" not in version.text_html and "onclick" not in version.text_html
    assert "My essay" in page_text(response)


def test_handed_in_text_keeps_no_link_or_image_that_reaches_the_tool(student, session, lms):
    bomb = "".join(f'<img src="/lti/login?iss=https://lms.example&login_hint={n}">' for n in range(3))
    text = (f'<p>Essay</p>{bomb}<a href="{lms.tool.url}/links/1/me">mine</a>'
            '<a href="https://elsewhere.example/?_t=eyJ0.forged.sig">token</a>'
            '<img src="https://tracker.example/p.gif"><a href="https://en.wikipedia.org/wiki/Essay">source</a>')

    response = student.post("/links/{link}/submission", {"text": text})

    assert response.status_code == 200
    stored = see_committed(session).scalars(select(SubmissionVersion)).one().text_html
    assert "/lti/login" not in stored and "_t=" not in stored and lms.tool.url not in stored
    assert "tracker.example" not in stored
    source = re.search(r'<a href="https://en.wikipedia.org/wiki/Essay"[^>]*>', stored).group(0)
    assert 'rel="noopener noreferrer"' in source and 'target="_blank"' in source


def test_text_stored_under_older_rules_is_cleaned_again_when_shown(student, session, lms):
    student.post("/links/{link}/submission", {"text": "<p>Essay</p>"})
    hostile = (f'<img src="/lti/login?iss=x&login_hint=1"><a href="{lms.tool.url}/links/1/me?_t=eyJ0.forged.sig">'
               'mine</a><a href="/links/1">relative</a>')
    version = session.scalars(select(SubmissionVersion)).one()
    version.text_html = hostile
    session.scalars(select(Assignment)).one().instructions_html = hostile
    session.commit()

    page = student.get("/links/{link}")

    assert page.status_code == 200
    shown = re.findall(r'<div class="(?:submitted-text|instructions)">(.*?)</div>', page.text, re.S)
    assert len(shown) == 2 and all("mine" in text and "relative" in text for text in shown)
    assert not any("/lti/login" in text or "forged" in text or "href" in text for text in shown)


def test_an_uploaded_pdf_is_stored_without_its_authors_name_and_under_a_neutral_name(student, session, lms):
    response = student.post("/links/{link}/submission", files={"file": ("Amara_Okafor_essay.pdf",
                                                                        pdf_naming_its_author(), "application/pdf")})

    assert response.status_code == 200
    version = see_committed(session).scalars(select(SubmissionVersion)).one()
    submission = session.scalars(select(Submission)).one()
    assert version.file_name == f"submission-{submission.pseudonym}.pdf"
    (stored,) = _stored_files(lms)
    data = stored.read_bytes()
    assert AUTHOR.encode() not in data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert not reader.metadata or "/Author" not in reader.metadata
    download = student.get(f"/links/{{link}}/files/{version.id}")
    assert download.content == data
    assert f'filename="{version.file_name}"' in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_an_uploaded_docx_loses_its_author_comment_author_and_last_editor(student, session, lms):
    response = student.post("/links/{link}/submission", files={"file": ("essay.docx", docx_naming_its_author())})

    assert response.status_code == 200
    # Beside it may lie its reading copy, a PDF made from the stored file (tests/web/test_reading.py checks it).
    (stored,) = [path for path in _stored_files(lms) if path.suffix == ".docx"]
    with zipfile.ZipFile(stored) as package:
        for name in package.namelist():
            assert AUTHOR.encode() not in package.read(name), f"{name} still names the author"


def test_resubmitting_keeps_every_version_and_the_latest_counts(student, session):
    student.post("/links/{link}/submission", {"text": "First draft"})
    response = student.post("/links/{link}/submission", {"text": "Final version"})

    assert "Submitted: version 2" in response.text
    submission = see_committed(session).scalars(select(Submission)).one()
    assert [v.text_html for v in submission.versions] == ["First draft", "Final version"]
    assert submission.latest.text_html == "Final version"


@pytest.mark.parametrize(("filename", "content", "words"), [
    ("essay.pdf", ELF_PROGRAM, "program"),
    ("essay.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
    ("essay.pdf", b"", "empty"),
], ids=["executable renamed .pdf", "image renamed .pdf", "empty file"])
def test_a_disguised_or_empty_file_is_refused_and_nothing_is_stored(student, session, lms, filename, content, words):
    counts = row_counts(session)

    response = student.post("/links/{link}/submission", files={"file": (filename, content)})

    assert response.status_code == 400
    assert words.lower() in page_text(response).lower()
    # Only the record of the refused hand-in is kept (its reason, for the student's page); no version, no file.
    assert _without_checks(row_counts(session)) == _without_checks(counts) and _stored_files(lms) == []
    assert see_committed(session).scalars(select(FileCheck.status)).all() == [FileCheckStatus.REFUSED]


def test_a_file_over_the_assignments_limit_is_refused_while_reading(student, session, lms):
    counts = row_counts(session)

    response = student.post("/links/{link}/submission",
                            files={"file": ("big.pdf", b"%PDF-1.7\n" + b"0" * (21 * 1024 * 1024))})

    assert response.status_code == 400 and "20 MB" in page_text(response)
    assert row_counts(session) == counts and _stored_files(lms) == []


def test_a_200_mb_upload_is_refused_before_it_is_read(student, session, lms):
    """Sent with the app's test client: the body streams from a file-like object that is never read in full."""
    app = lms.tool.app
    client = app.test_client()
    client.set_cookie("peerlti_session", student.browser.cookies["peerlti_session"], domain="localhost")
    counts = row_counts(session)

    response = client.post(f"/links/{student.link_id}/submission", input_stream=io.BytesIO(b""),
                           content_type="multipart/form-data; boundary=x",
                           environ_overrides={"CONTENT_LENGTH": str(200 * 1024 * 1024)})

    assert response.status_code == 413, response.get_data(as_text=True)[-600:]
    assert "larger than peerlti accepts" in response.get_data(as_text=True)
    assert row_counts(session) == counts and _stored_files(lms) == []


def test_late_work_is_flagged_and_penalised_by_the_policy(student, session):
    _move_deadline(session, due_in=-timedelta(hours=30),
                   policy=LatePolicy(accept_late=True, late_until=datetime.now(UTC) + timedelta(days=2),
                                     penalty_per_day=10))

    response = student.post("/links/{link}/submission", {"text": "Sorry it is late"})

    assert "(late)" in response.text
    version = see_committed(session).scalars(select(SubmissionVersion)).one()
    assert version.is_late and version.late_penalty == pytest.approx(0.2)


def test_work_after_the_deadline_is_refused_when_late_work_is_refused(student, session):
    _move_deadline(session, due_in=-timedelta(minutes=5), policy=LatePolicy(accept_late=False))
    counts = row_counts(session)

    response = student.post("/links/{link}/submission", {"text": "Too late"})

    assert response.status_code == 409  # a closed step, as every refusal by the phase or the dates
    assert "does not accept late work" in page_text(response)
    assert row_counts(session) == counts


def test_a_submission_without_a_csrf_token_is_refused_and_nothing_is_stored(student, session):
    counts = row_counts(session)

    response = student.post("/links/{link}/submission", {"text": "x"}, csrf=False)

    assert response.status_code == 400 and row_counts(session) == counts


def test_an_empty_submission_is_refused_with_a_message(student, session):
    response = student.post("/links/{link}/submission", {"text": "   "})

    assert response.status_code == 400 and "Write your answer or attach a file" in page_text(response)


def test_a_student_cannot_post_to_another_course_or_see_another_students_file(lms, student, session):
    other = Visitor(lms, "student-2")
    other.launch()
    other.post("/links/{link}/submission", files={"file": ("mine.pdf", pdf_naming_its_author("Student Two"))})
    version = see_committed(session).scalars(select(SubmissionVersion)).one()

    assert student.get(f"/links/{{link}}/files/{version.id}").status_code == 404
    assert student.post(f"/links/{student.link_id + 1}/submission", {"text": "x"}).status_code == 403


def test_staff_do_not_hand_in_work(instructor, session):
    response = instructor.post("/links/{link}/submission", {"text": "Teacher's answer"})

    assert response.status_code == 400 and "Course staff do not hand in work" in page_text(response)


def test_the_staff_roster_shows_who_submitted_when_and_whether_late(lms, instructor, student, session):
    student.post("/links/{link}/submission", {"text": "Done"})
    absent = Visitor(lms, "student-3")
    absent.launch()

    rows = page_text(instructor.get("/links/{link}/submissions"))

    assert "on time" in rows and "not submitted" in rows
    assert "1 of 2 students" in page_text(instructor.get("/links/{link}"))


@pytest.mark.parametrize("phase", ["review", "released"])
def test_an_author_cannot_hand_in_a_new_version_once_staff_moved_the_phase_on(instructor, student, session, phase):
    student.post("/links/{link}/submission", {"text": "First version"})
    instructor.post("/links/{link}/phase", {"phase": phase})  # the dates still say submissions are open

    response = student.post("/links/{link}/submission", {"text": "A version written after the others reviewed"})

    assert response.status_code == 409 and "no longer accepts work" in page_text(response)
    assert [v.text_html for v in see_committed(session).scalars(select(SubmissionVersion))] == ["First version"]


def test_no_work_is_handed_in_while_staff_keep_the_assignment_in_setup(instructor, student, session):
    instructor.post("/links/{link}/phase", {"phase": "setup"})

    response = student.post("/links/{link}/submission", {"text": "Early bird"})

    assert response.status_code == 409
    assert see_committed(session).scalars(select(SubmissionVersion)).all() == []


def test_a_hand_in_that_meets_another_tabs_version_number_gets_a_409_saying_so_and_keeps_no_file(
        student, session, lms, monkeypatch):
    from sqlalchemy import func, insert

    from lti_tool.database import db

    student.post("/links/{link}/submission", {"text": "<p>First version</p>"})
    storage = lms.tool.app.extensions["peerlti.submission_deps"].storage
    save = storage.save_stream

    def save_while_another_tab_takes_the_number(key: str, data: BinaryIO) -> None:
        # Where no lock orders the two (SQLite), the other tab's version lands between numbering and storing.
        save(key, data)
        taken = db().scalar(select(func.max(SubmissionVersion.number))) + 1
        submission_id = db().scalar(select(Submission.id))
        db().execute(insert(SubmissionVersion).values(submission_id=submission_id, number=taken, text_html="",
                                                      is_late=False, late_penalty=0.0))

    monkeypatch.setattr(storage, "save_stream", save_while_another_tab_takes_the_number)
    response = student.post("/links/{link}/submission", files={"file": ("essay.pdf", pdf_naming_its_author(),
                                                                                "application/pdf")})

    assert response.status_code == 409, page_text(response)
    assert "A newer version was handed in at the same moment" in page_text(response)
    assert [version.number for version in see_committed(session).scalars(select(SubmissionVersion))] == [1]
    assert _stored_files(lms) == []


def test_a_file_that_cannot_be_written_gets_a_507_page_saying_nothing_was_lost_and_stores_nothing(student, session,
                                                                                                 lms):
    # Root may write to a read-only directory; no one can create a directory where a regular file stands.
    uploads = _uploads(lms)
    if uploads.exists():
        shutil.rmtree(uploads)
    uploads.parent.mkdir(parents=True, exist_ok=True)
    uploads.write_bytes(b"")
    counts = row_counts(session)

    response = student.post("/links/{link}/submission", files={"file": ("essay.pdf", pdf_naming_its_author())})

    assert response.status_code == 507, page_text(response)
    assert "could not be stored" in page_text(response) and "nothing was lost" in page_text(response).lower()
    assert row_counts(session) == counts and see_committed(session).scalars(select(SubmissionVersion)).all() == []
