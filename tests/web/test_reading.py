"""Reading a submitted file in the page: who may load it, what is shown for each kind, and the download switch."""

from __future__ import annotations

import io
import re
import shutil
import struct
import zlib
from html import unescape

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from assessment.models import Assignment, Person, Review, ReviewKind, Submission, SubmissionVersion
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.documents import AUTHOR, docx_naming_its_author
from tests.support.rows import see_committed
from tests.support.services import service_missing
from tests.support.visitor import Visitor, page_text


def _review_of(session, reviewer: Visitor) -> Review:
    reviewer.post("/links/{link}/reviews/next", {})
    subject = see_committed(session).scalars(select(Person.id).where(Person.subject == reviewer.user_id)).one()
    return session.scalars(select(Review).where(Review.reviewer_id == subject)).one()


def _author_of(review: Review, students: dict[str, Visitor]) -> Visitor:
    return students[review.submission.author.subject]


def _version_of(session, user: str) -> SubmissionVersion:
    return see_committed(session).scalars(
        select(SubmissionVersion).join(Submission).join(Person, Person.id == Submission.author_id)
        .where(Person.subject == user)).one()


def _reader(html: str) -> dict[str, str]:
    tag = re.search(r'<div class="reader"[^>]*>', html, re.S)
    assert tag, "no reader on the page"
    return {name: unescape(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag[0])}


def _relative(url: str) -> str:
    return url.replace("{", "{{").replace("}", "}}")  # a URL from the page, as Visitor.get takes a template


def _needs_libreoffice() -> None:
    if shutil.which("soffice") is None:
        service_missing("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")


def _loads_the_reader_once_in_the_body(html: str) -> bool:
    """The page's title is plain text, and pdf.js's module is loaded once, from the body: a <script> inside <title>
    is only text there, and the reader would never draw."""
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    body = html.split("<body", 1)[1]
    return (title is not None and "<" not in title[1] and html.count('src="/static/reader.js"') == 1
            and 'type="module" src="/static/reader.js"' in body)


def test_a_reviewer_reads_the_pdf_under_review_in_the_page_from_its_anonymised_file(class_in_review, session):
    reviewer = class_in_review["student-1"]
    review = _review_of(session, reviewer)

    page = reviewer.get(f"/links/{{link}}/reviews/{review.id}")
    reader = _reader(page.text)
    source = reviewer.get(_relative(reader["data-source"]))

    assert reader["data-view"] == "pdf" and _loads_the_reader_once_in_the_body(page.text)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "worker-src 'self';" in policy and "unsafe" not in policy
    assert source.status_code == 200 and source.headers["Content-Type"] == "application/pdf"
    assert source.headers["Content-Disposition"] == 'inline; filename="submission.pdf"'
    assert "sandbox" in source.headers["Content-Security-Policy"]
    assert source.content.startswith(b"%PDF") and b"Author student" not in source.content
    assert "Author" not in (PdfReader(io.BytesIO(source.content)).metadata or {}).get("/Author", "")
    # The download stays offered, as before, while the assignment allows it.
    assert f"/reviews/{review.id}/file" in page.text


REVIEW_ROUTES = [
    ("GET", "/links/{link}/reviews/{review}/reading", None, 404, 200),
    ("GET", "/links/{link}/reviews/{review}/reading/status", None, 404, 200),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_the_reviewers_reading_routes_admit_only_the_reviewer(lms, instructor, class_in_review, session, kind):
    review = _review_of(session, class_in_review["student-1"])
    visitor = class_in_review["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], REVIEW_ROUTES, {"review": review.id}, instructor)

    assert observed == expected


@pytest.mark.parametrize("who", ["author", "other student"])
def test_neither_the_author_nor_another_student_can_read_through_a_reviewers_routes(class_in_review, session, who):
    review = _review_of(session, class_in_review["student-1"])
    author = _author_of(review, class_in_review)
    visitor = author if who == "author" else next(
        student for user, student in class_in_review.items() if student is not author and user != "student-1")

    for route in ("reading", "reading/status", "file"):
        assert visitor.get(f"/links/{{link}}/reviews/{review.id}/{route}").status_code == 404


VERSION_ROUTES = [
    ("GET", "/links/{link}/files/{version}/reading", None, 200, 404),
    ("GET", "/links/{link}/files/{version}/reading/status", None, 200, 404),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_a_versions_reading_routes_admit_course_staff_but_no_other_student(lms, instructor, class_in_review, session,
                                                                            kind):
    other = _version_of(session, "student-2")
    visitor = class_in_review["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], VERSION_ROUTES, {"version": other.id},
                                               instructor)

    assert observed == expected


def test_the_author_may_read_their_own_version_in_the_page(class_in_review, session):
    author = class_in_review["student-2"]
    version = _version_of(session, "student-2")

    assert author.get(f"/links/{{link}}/files/{version.id}/reading").status_code == 200


def test_staff_read_each_version_on_a_students_work_page_and_may_download_it(instructor, class_in_review, session):
    author = see_committed(session).scalars(select(Person).where(Person.subject == "student-2")).one()

    work = instructor.get(f"/links/{{link}}/students/{author.id}/work")
    reader = _reader(work.text)

    assert reader["data-view"] == "pdf" and _loads_the_reader_once_in_the_body(work.text)
    assert instructor.get(_relative(reader["data-source"])).content.startswith(b"%PDF")
    assert re.search(r'href="/links/\d+/files/\d+"', work.text)


def _turn_downloads_off(session) -> None:
    session.execute(update(Assignment).values(reviewers_may_download=False))
    session.commit()


def test_with_downloads_off_a_reviewer_reads_in_the_page_but_the_download_answers_403(class_in_review, session):
    reviewer = class_in_review["student-1"]
    review = _review_of(session, reviewer)
    _turn_downloads_off(session)

    page = reviewer.get(f"/links/{{link}}/reviews/{review.id}")
    download = reviewer.get(f"/links/{{link}}/reviews/{review.id}/file")
    source = reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading")

    assert f"/reviews/{review.id}/file" not in page.text and "Download" not in page_text(page)
    assert download.status_code == 403 and "read the work in the page only" in page_text(download)
    assert not download.content.startswith(b"%PDF")
    assert source.status_code == 200 and source.content.startswith(b"%PDF")


def test_with_downloads_off_staff_still_download_from_their_own_assessment_and_the_work_page(instructor,
                                                                                            class_in_review, session):
    submission = see_committed(session).scalars(select(SubmissionVersion)).first().submission
    _turn_downloads_off(session)
    staff_review = instructor.post(f"/links/{{link}}/submissions/{submission.id}/staff-review", {})
    review = see_committed(session).scalars(select(Review).where(Review.kind == ReviewKind.STAFF)).one()

    download = instructor.get(f"/links/{{link}}/reviews/{review.id}/file")
    work = instructor.get(f"/links/{{link}}/students/{submission.author_id}/work")

    assert staff_review.status_code == 200 and f"/reviews/{review.id}/file" in staff_review.text
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert re.search(r'href="/links/\d+/files/\d+"', work.text)


@pytest.fixture
def class_with_files(lms, instructor, session):
    """Two students: student-1 handed in a PDF, student-2 the given file; reviewing is open, and student-1's
    review is of student-2's work (the only other submission)."""
    session.execute(update(Assignment).values(file_types=["pdf", "docx", "odt", "png", "jpeg", "txt"]))
    session.commit()

    def hand_in(files: dict[str, tuple[str, bytes]]) -> dict[str, Visitor]:
        students = {}
        for user, (name, data) in files.items():
            student = Visitor(lms, user)
            student.launch()
            response = student.post("/links/{link}/submission", {"text": ""}, files={"file": (name, data)})
            assert response.status_code == 200 and "Submitted" in response.text, page_text(response)[:500]
            students[user] = student
        instructor.post("/links/{link}/phase", {"phase": "review"})
        return students

    return hand_in


def _png(width: int = 40, height: int = 30) -> bytes:
    """A red PNG, written by hand (each row: filter byte 0, then RGB pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_submitted_image_is_shown_inline_with_its_alt_text(class_with_files, session):
    students = class_with_files({"student-2": ("photo.png", _png()), "student-1": ("essay.pdf", _pdf())})
    review = _review_of(session, students["student-1"])

    page = students["student-1"].get(f"/links/{{link}}/reviews/{review.id}")
    image = re.search(r'<img class="reader-image" src="([^"]+)" alt="([^"]+)">', page.text)
    source = students["student-1"].get(_relative(unescape(image[1])))

    assert image[2] == "Submitted image" and "reader.js" not in page.text
    assert source.headers["Content-Type"] == "image/png"
    assert struct.unpack(">II", source.content[16:24]) == (40, 30)


def test_a_submitted_text_file_is_shown_as_text_with_its_markup_escaped(class_with_files, session):
    text = "Line one of the essay.\n<script>alert('x')</script> & more"
    students = class_with_files({"student-2": ("essay.txt", text.encode()), "student-1": ("essay.pdf", _pdf())})
    review = _review_of(session, students["student-1"])

    page = students["student-1"].get(f"/links/{{link}}/reviews/{review.id}")

    assert "Line one of the essay." in page.text and "&lt;script&gt;alert" in page.text
    assert "<script>alert" not in page.text


def _pdf() -> bytes:
    from tests.support.documents import pdf_naming_its_author

    return pdf_naming_its_author()


def test_a_docx_is_read_as_a_pdf_made_from_its_anonymised_file_with_neutral_metadata(class_with_files, session):
    _needs_libreoffice()
    students = class_with_files({"student-2": ("essay.docx", docx_naming_its_author()),
                                 "student-1": ("essay.pdf", _pdf())})
    review = _review_of(session, students["student-1"])
    # The hand-in made the copy at once (tasks run in the web process here).
    version = see_committed(session).get(SubmissionVersion, review.submission_version_id)
    assert version.reading_copy_key and version.reading_copy_key.endswith(".reading.pdf")

    page = students["student-1"].get(f"/links/{{link}}/reviews/{review.id}")
    reader = _reader(page.text)
    copy = students["student-1"].get(_relative(reader["data-source"]))
    status = students["student-1"].get(_relative(reader["data-status"])).json()

    assert reader["data-view"] == "pdf" and status["view"] == "pdf"
    assert copy.headers["Content-Type"] == "application/pdf" and copy.content.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(copy.content))
    assert "My essay about peer review." in pdf.pages[0].extract_text()
    assert not pdf.metadata
    assert pdf.xmp_metadata is None
    assert AUTHOR.encode() not in copy.content and b"LibreOffice" not in copy.content
    # The original stays a DOCX download, under its neutral name.
    original = students["student-1"].get(f"/links/{{link}}/reviews/{review.id}/file")
    assert original.content.startswith(b"PK") and "essay" not in original.headers["Content-Disposition"]


def test_a_docx_without_its_copy_is_prepared_then_made_when_first_opened(class_with_files, session):
    _needs_libreoffice()
    students = class_with_files({"student-2": ("essay.docx", docx_naming_its_author()),
                                 "student-1": ("essay.pdf", _pdf())})
    review = _review_of(session, students["student-1"])
    version = session.get(SubmissionVersion, review.submission_version_id)
    version.reading_copy_key = None  # as when the worker has not made it yet
    session.commit()
    reviewer = students["student-1"]

    waiting = reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading/status").json()
    unserved = reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading")
    page = reviewer.get(f"/links/{{link}}/reviews/{review.id}")  # orders the copy (made at once here)
    ready = reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading/status").json()

    assert waiting == {"view": "preparing", "reason": None} and unserved.status_code == 404
    assert _reader(page.text)["data-view"] == "pdf" and ready["view"] == "pdf"
    assert reviewer.get(f"/links/{{link}}/reviews/{review.id}/reading").content.startswith(b"%PDF")
