"""Instructors grading in their LMS: Canvas's SpeedGrader and Moodle's submission review open a student's work."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import requests
from sqlalchemy import select

from assessment.grading_run import release_grades
from assessment.models import (
    Grade,
    GradePosting,
    Person,
    PostingStatus,
    Review,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
)
from assessment.rubric import Criterion, Level, Rubric
from tests.support.lms import auto_post_form, launch_as
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import page_text
from tests.web.test_line_items_and_held_grades import _assignment_at_sandbox_link, _client
from workers.passback import post_one

CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
CANVAS_SUBMISSION_TYPE = "https://canvas.instructure.com/lti/submission_type"
HANDED_IN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _graded_work(lms, session, *, handed_in: bool = True):
    """student-1's essay, reviewed by a peer and graded 17.5 of 20, released; the assignment and the posting."""
    assignment = _assignment_at_sandbox_link(lms, session, keep_line_item=False)
    student = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    if handed_in:
        reviewer = Person(platform_id=student.platform_id, subject="student-2", name="Ben Carter")
        submission = Submission(assignment_id=assignment.id, author_id=student.id, pseudonym="Otter")
        session.add_all([reviewer, submission])
        session.flush()
        session.add(SubmissionVersion(submission_id=submission.id, number=1, text_html="<p>My essay on tides</p>",
                                      submitted_at=HANDED_IN))
        assignment.rubric_document = Rubric((Criterion(key="k1", title="Thesis", levels=(
            Level(0, "Missing"), Level(4, "Clear"))),)).to_dict()
        first = assignment.rubric.criteria[0]
        session.add(Review(assignment_id=assignment.id, submission_id=submission.id, reviewer_id=reviewer.id,
                           kind=ReviewKind.PEER, status=ReviewStatus.SUBMITTED, score=16.0,
                           selections={first.key: first.high}, comments={first.key: "A clear thesis"},
                           submitted_at=HANDED_IN + timedelta(days=1)))
    session.add(Grade(assignment_id=assignment.id, person_id=student.id, method="mean", total=17.5))
    session.commit()
    (posting,) = release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    return assignment, session.get(GradePosting, posting.id)


def _post(lms, session, engine, posting) -> None:
    outcome = post_one(session, posting.id, _client(session, engine), datetime.now(UTC),
                       launch_url=f"{lms.tool.url}/lti/launch")
    assert outcome.status is PostingStatus.POSTED


def _store(lms):
    return lms.sandbox.app.extensions["sandbox"].store


def _column(lms, assignment):
    (item,) = [item for item in _store(lms).line_items() if item.get("resourceId") == assignment.public_id]
    return item


def _gradebook_links(lms, assignment) -> list[str]:
    """The gradebook's launch links in the assignment's column (the sandbox's gradebook lives through the run)."""
    page = requests.get(f"{lms.sandbox.url}/gradebook", timeout=10).text
    column = re.escape(_column(lms, assignment)["id"])
    return [unescape(href) for href in
            re.findall(rf'class="grader-launch" data-line-item-id="{column}"[^>]*href="([^"]+)"', page)]


def _launch_from_gradebook(lms, href: str, as_user: str | None = None) -> requests.Response:
    """Open a gradebook link (as its grader, or as `as_user`) through the OIDC login, up to the tool's page."""
    if as_user is not None:
        href = re.sub(r"/launch/[^/?]+", f"/launch/{as_user}", href)
    browser = requests.Session()
    answer = browser.get(lms.sandbox.url + href, timeout=10)
    answer.raise_for_status()
    action, fields = auto_post_form(answer.text)
    return browser.post(action, data=fields, allow_redirects=True, timeout=10)


# Canvas: scores carry the submission SpeedGrader launches; line items, the submission type


@pytest.mark.parametrize("lms", ["canvas"], indirect=True)
def test_canvas_scores_carry_a_submission_speedgrader_launches_and_the_column_its_submission_type(
        lms, session, engine):
    assignment, posting = _graded_work(lms, session)

    _post(lms, session, engine, posting)

    column = _column(lms, assignment)
    assert column[CANVAS_SUBMISSION_TYPE] == {"type": "external_tool",
                                              "external_tool_url": f"{lms.tool.url}/lti/launch"}
    (score,) = _store(lms).score_history(column["id"])["student-1"]
    assert score["scoreGiven"] == 17.5
    assert score[CANVAS_SUBMISSION] == {"submission_type": "basic_lti_launch",
                                        "submission_data": f"{lms.tool.url}/lti/launch?for_user=student-1",
                                        "submitted_at": "2026-03-02T09:30:00.000+00:00"}
    assert len(_gradebook_links(lms, assignment)) == 1


@pytest.mark.parametrize("lms", ["canvas"], indirect=True)
def test_a_canvas_score_of_a_student_who_handed_nothing_in_carries_no_submission(lms, session, engine):
    assignment, posting = _graded_work(lms, session, handed_in=False)

    _post(lms, session, engine, posting)

    (score,) = _store(lms).score_history(_column(lms, assignment)["id"])["student-1"]
    assert CANVAS_SUBMISSION not in score
    assert _gradebook_links(lms, assignment) == []


@pytest.mark.parametrize("lms", ["spec", "moodle"], indirect=True)
def test_other_lms_get_neither_canvas_extension(lms, session, engine):
    assignment, posting = _graded_work(lms, session)

    _post(lms, session, engine, posting)

    column = _column(lms, assignment)
    (score,) = _store(lms).score_history(column["id"])["student-1"]
    assert CANVAS_SUBMISSION_TYPE not in column and CANVAS_SUBMISSION not in score


@pytest.mark.parametrize("lms", ["canvas"], indirect=True)
@pytest.mark.parametrize("grader", ["instructor-1", "ta-1"])
def test_speedgrader_opens_the_students_work_reviews_and_grade_for_staff(lms, session, engine, grader):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)
    (href,) = _gradebook_links(lms, assignment)

    response = _launch_from_gradebook(lms, href, as_user=grader)

    student = see_committed(session).scalars(select(Person).where(Person.subject == "student-1")).one()
    assert response.status_code == 200
    assert response.url.endswith(f"/students/{student.id}/work")
    text = page_text(response)
    assert "Work of Amara Okafor" in text and "My essay on tides" in text
    assert "Reviews received" in text and "Ben Carter" in text and "16 / 20" in text
    assert "17.5 / 20" in text and "Released: 17.5" in text
    assert "Thesis 4 / 4 A clear thesis" in text


@pytest.mark.parametrize("lms", ["canvas"], indirect=True)
def test_a_student_opening_their_own_speedgrader_link_sees_their_own_page(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)
    (href,) = _gradebook_links(lms, assignment)

    response = _launch_from_gradebook(lms, href, as_user="student-1")

    assert response.status_code == 200
    assert re.search(r"/links/\d+$", response.url) and "Work of" not in page_text(response)


@pytest.mark.parametrize("lms", ["canvas"], indirect=True)
def test_a_student_opening_another_students_speedgrader_link_is_refused(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)
    (href,) = _gradebook_links(lms, assignment)
    launch_as(lms, "student-2")
    before = row_counts(see_committed(session))

    response = _launch_from_gradebook(lms, href, as_user="student-2")

    assert response.status_code == 403
    assert "another student's work" in page_text(response) and "My essay on tides" not in response.text
    assert row_counts(see_committed(session)) == before


@pytest.mark.parametrize("lms", ["canvas"], indirect=True)
def test_speedgrader_naming_someone_peerlti_does_not_have_in_the_course_is_a_clear_404(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)
    column = _column(lms, assignment)
    # A score someone else gave student-3, who never opened the activity, with a submission URL of peerlti's.
    _store(lms).record_score(column["id"], {
        "userId": "student-3", "scoreGiven": 3, "scoreMaximum": 20, "activityProgress": "Completed",
        "gradingProgress": "FullyGraded", "timestamp": datetime.now(UTC).isoformat(),
        CANVAS_SUBMISSION: {"submission_type": "basic_lti_launch",
                            "submission_data": f"{lms.tool.url}/lti/launch?for_user=student-3"}})
    href = next(link for link in _gradebook_links(lms, assignment) if "student-3" in link)

    response = _launch_from_gradebook(lms, href)

    assert response.status_code == 404
    assert "'student-3'" in page_text(response) and "not a student of this course" in page_text(response)


# Moodle: the grade report's submission review


def _moodle_review_link(lms, assignment, student: str) -> str:
    (href,) = [link for link in _gradebook_links(lms, assignment) if f"review_for={student}" in link]
    return href


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
@pytest.mark.parametrize("grader", ["instructor-1", "ta-1"])
def test_moodle_submission_review_opens_the_students_work_reviews_and_grade_for_staff(
        lms, session, engine, grader):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)

    response = _launch_from_gradebook(lms, _moodle_review_link(lms, assignment, "student-1"), as_user=grader)

    student = see_committed(session).scalars(select(Person).where(Person.subject == "student-1")).one()
    assert response.status_code == 200
    assert response.url.endswith(f"/students/{student.id}/work")
    text = page_text(response)
    assert "Work of Amara Okafor" in text and "My essay on tides" in text and "Ben Carter" in text
    assert "17.5 / 20" in text


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_a_moodle_submission_review_of_their_own_work_shows_a_student_their_own_page(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)

    response = _launch_from_gradebook(lms, _moodle_review_link(lms, assignment, "student-1"), as_user="student-1")

    assert response.status_code == 200
    assert re.search(r"/links/\d+$", response.url) and "Work of" not in page_text(response)


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_a_moodle_submission_review_of_another_students_work_is_refused_to_a_student(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)

    response = _launch_from_gradebook(lms, _moodle_review_link(lms, assignment, "student-1"), as_user="student-2")

    assert response.status_code == 403
    assert "another student's work" in page_text(response) and "My essay on tides" not in response.text


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_a_moodle_submission_review_naming_a_student_peerlti_never_saw_is_a_clear_404(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)
    href = _moodle_review_link(lms, assignment, "student-1").replace("review_for=student-1", "review_for=student-4")

    response = _launch_from_gradebook(lms, href)

    assert response.status_code == 404
    assert "'student-4'" in page_text(response) and "Sync the roster" in page_text(response)


@pytest.mark.parametrize("lms", ["spec", "canvas"], indirect=True)
def test_only_moodle_sends_submission_reviews(lms, session, engine):
    assignment, posting = _graded_work(lms, session)
    _post(lms, session, engine, posting)

    answer = requests.get(f"{lms.sandbox.url}/launch/instructor-1",
                          params={"review_for": "student-1"}, timeout=10)

    assert answer.status_code == 404 and all("review_for" not in link for link in _gradebook_links(lms, assignment))
