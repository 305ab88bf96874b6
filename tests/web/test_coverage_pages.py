"""Coverage on the pages: staff see work short of reviews by name, and after reviewing the backup queue to assess it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from assessment.models import Assignment, Extension, Person, Review, ReviewKind, ReviewStatus, Submission
from assessment.personal_dates import Step
from tests.support.access import visitor_of_kind
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.conftest import STUDENTS
from tests.web.test_assignment_settings import _settings_form


def _names(session) -> dict[str, str]:
    return {person.subject: person.display_name for person in see_committed(session).scalars(select(Person))}


def _reviewed_once(class_in_review: dict[str, Visitor], session) -> None:
    """student-1 submits one review (of the oldest work, the queue's first); nobody else reviews."""
    keys = [criterion.key for criterion in _rubric(session).criteria]
    student = class_in_review["student-1"]
    asked = student.post("/links/{link}/reviews/next", {})
    review_id = int(re.search(r"/reviews/(\d+)$", asked.url)[1])
    done = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{keys[0]}": "4", f"score-{keys[1]}": "7", f"comment-{keys[1]}": "Shorter sentences would help.",
        "action": "submit"})
    assert done.status_code == 200


def _rubric(session):
    return see_committed(session).scalars(select(Assignment)).one().rubric


@pytest.mark.parametrize("kind", ["instructor", "teaching assistant"])
def test_staff_see_every_submission_short_of_reviews_by_name_while_reviewing_goes_on(lms, instructor, class_in_review,
                                                                                     session, kind):
    _reviewed_once(class_in_review, session)
    staff = visitor_of_kind(lms, kind, instructor.link_id)

    page = staff.get("/links/{link}/coverage")

    assert page.status_code == 200
    text = page_text(page)
    assert "4 of 4 submissions are short of their 3 reviews now." in text
    names = _names(session)
    for user in STUDENTS:
        assert names[user] in text
    assert "Backup queue" not in text and "Take it and assess as staff" not in text


@pytest.mark.parametrize("kind", ["student", "student of another course", "instructor of another course"])
def test_the_coverage_page_is_refused_to_students_and_other_courses_staff(lms, instructor, class_in_review, session,
                                                                          kind):
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    refused = visitor.get("/links/{link}/coverage")

    assert refused.status_code == 403 and "Review coverage" not in page_text(refused)
    names = _names(session)
    for user in STUDENTS[1:]:  # nobody's work is named to them (student-1 may see their own name)
        assert names[user] not in page_text(refused)


def test_the_dashboard_shows_coverage_and_links_to_the_short_work(instructor, class_in_review, session):
    _reviewed_once(class_in_review, session)

    dashboard = page_text(instructor.get("/links/{link}"))

    assert "Review coverage" in dashboard
    assert "4 of 4 submissions are short of their 3 reviews now." in dashboard
    assert "See the work short of reviews" in dashboard


def test_once_reviewing_is_over_the_dashboard_names_the_work_with_no_review_and_the_backup_queue_lists_it(
        lms, instructor, class_in_review, session):
    _reviewed_once(class_in_review, session)
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    names = _names(session)
    reviewed = see_committed(session).scalars(select(Submission).join(Review, Review.submission_id == Submission.id)
                                              .where(Review.status == ReviewStatus.SUBMITTED)).one()
    unreviewed = [name for user, name in names.items() if user in STUDENTS and name != reviewed.author.display_name]

    dashboard = page_text(instructor.get("/links/{link}"))
    backup = instructor.get("/links/{link}/coverage")

    in_queue_order = sorted(unreviewed, key=lambda name: _order(session, name))
    assert f"These submissions have no review at all: {', '.join(in_queue_order)}." in dashboard
    assert "Assess 4 submissions that reviewing left short of reviews." in dashboard
    assert backup.status_code == 200 and "Backup queue 4" in page_text(backup)
    assert page_text(backup).count("Take it and assess as staff") == 4


def _order(session, name: str) -> int:
    """The position of the name's work in the queue's order (first handed in first)."""
    rows = see_committed(session).execute(select(Submission.id, Person).join(Person, Person.id == Submission.author_id)
                                          .order_by(Submission.created_at, Submission.id)).all()
    return [person.display_name for _, person in rows].index(name)


@pytest.mark.parametrize("kind", ["instructor", "teaching assistant"])
def test_staff_take_work_from_the_backup_queue_and_their_assessment_covers_it(lms, instructor, class_in_review,
                                                                             session, kind):
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    staff = visitor_of_kind(lms, kind, instructor.link_id)
    backup = staff.get("/links/{link}/coverage")
    submission = int(re.search(r"/submissions/(\d+)/staff-review", backup.text)[1])
    keys = [criterion.key for criterion in _rubric(session).criteria]

    taken = staff.post(f"/links/{{link}}/submissions/{submission}/staff-review", {})
    review_id = int(re.search(r"/reviews/(\d+)$", taken.url)[1])
    shown_while_taken = page_text(instructor.get("/links/{link}/coverage"))
    staff.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{keys[0]}": "4", f"score-{keys[1]}": "7", f"comment-{keys[1]}": "Shorter sentences would help.",
        "action": "submit"})
    after = page_text(instructor.get("/links/{link}/coverage"))

    staff_name = see_committed(session).scalars(select(Person).where(Person.subject == staff.user_id)).one().display_name
    assert f"Being assessed by {staff_name}" in shown_while_taken
    review = see_committed(session).get(Review, review_id)
    assert review.kind is ReviewKind.STAFF and review.status is ReviewStatus.SUBMITTED
    assert "Backup queue 3" in after and after.count("Take it and assess as staff") == 3


@pytest.mark.parametrize("kind", ["student", "student of another course", "instructor of another course"])
def test_taking_work_from_the_backup_queue_is_refused_to_students_and_other_courses_staff(
        lms, instructor, class_in_review, session, kind):
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    submission = see_committed(session).scalars(select(Submission.id)).first()
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    # Their own session's token when a page gave them one (authorisation refuses: 403), else the instructor's (CSRF
    # protection refuses first: 400).
    token = visitor._csrf or instructor.csrf_token()
    refused = visitor.post(f"/links/{{link}}/submissions/{submission}/staff-review", {"csrf_token": token}, csrf=False)

    assert refused.status_code == (403 if visitor._csrf else 400)
    assert see_committed(session).scalars(select(Review).where(Review.kind == ReviewKind.STAFF)).all() == []


def test_while_reviewing_goes_on_the_dashboard_names_the_work_that_will_end_with_no_review_at_this_pace(
        instructor, class_in_review, session):
    _reviewed_once(class_in_review, session)
    now = datetime.now(UTC)
    # One review in the 10 hours since reviewing opened, one hour left: no more reviews are expected.
    see_committed(session).execute(update(Assignment).values(
        submission_opens=now - timedelta(days=3), submission_due=now - timedelta(days=2), calibration_opens=None,
        calibration_due=None, review_opens=now - timedelta(hours=10), review_due=now + timedelta(hours=1),
        results_release=now + timedelta(days=1), phase_override=None))
    session.commit()
    reviewed = see_committed(session).scalars(select(Submission).join(Review, Review.submission_id == Submission.id)
                                              .where(Review.status == ReviewStatus.SUBMITTED)).one()
    unreviewed = sorted((name for user, name in _names(session).items()
                         if user in STUDENTS and name != reviewed.author.display_name),
                        key=lambda name: _order(session, name))

    dashboard = page_text(instructor.get("/links/{link}"))
    coverage = page_text(instructor.get("/links/{link}/coverage"))

    assert f"At this pace these submissions end the review phase with no review: {', '.join(unreviewed)}." in dashboard
    assert "At the current pace, 4 submissions will still be short at the review deadline." in dashboard
    assert "0 more reviews are expected before then." in coverage


def test_the_backup_queue_says_when_flexible_grading_takes_over(instructor, class_in_review, session):
    without = page_text(instructor.get("/links/{link}/coverage"))
    saved = instructor.post("/links/{link}/settings", _settings_form(instructor) | {"flexible_grading_days": "3"})
    instructor.post("/links/{link}/phase", {"phase": "grading"})

    backup = page_text(instructor.get("/links/{link}/coverage"))

    assert saved.status_code == 200, page_text(saved)[:300]
    assert see_committed(session).scalars(select(Assignment)).one().flexible_grading_days == 3
    assert "Flexible grading" not in without
    assert "Flexible grading: from" in backup and "Work with no review waits for you." in backup


def test_work_of_a_student_with_an_extension_waits_outside_the_backup_queue_until_their_own_deadline(
        lms, instructor, class_in_review, session):
    _reviewed_once(class_in_review, session)
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    assignment = see_committed(session).scalars(select(Assignment)).one()
    extended = see_committed(session).scalars(select(Person).where(Person.subject == "student-2")).one()
    own_due = assignment.review_due + timedelta(days=2)
    session.add(Extension(assignment_id=assignment.id, person_id=extended.id, step=Step.REVIEW, until=own_due,
                          from_lms=False, reason="Illness", granted_at=datetime.now(UTC)))
    session.commit()
    work = see_committed(session).scalars(select(Submission.id).where(Submission.author_id == extended.id)).one()

    backup = instructor.get("/links/{link}/coverage")
    dashboard = page_text(instructor.get("/links/{link}"))

    text = page_text(backup)
    assert "Backup queue 3" in text and text.count("Take it and assess as staff") == 3
    assert f'id="backup-{work}"' not in backup.text and f'id="open-{work}"' in backup.text
    assert "Work still open for an extension 1" in text
    assert own_due.isoformat() in backup.text
    assert "Assess 3 submissions that reviewing left short of reviews." in dashboard
    assert extended.display_name not in dashboard.split("These submissions have no review at all:")[1].split(".")[0]
def test_the_coverage_page_counts_the_reviews_still_owed_when_the_pace_would_bring_more(instructor, class_in_review,
                                                                                     session):
    _reviewed_once(class_in_review, session)
    now = datetime.now(UTC)
    # One review in the hour since reviewing opened, ten days left: the pace would bring 240 more, but the four
    # students owe only 11 (3 each, less the one done), so 11 are expected.
    see_committed(session).execute(update(Assignment).values(
        submission_opens=now - timedelta(days=3), submission_due=now - timedelta(days=2), calibration_opens=None,
        calibration_due=None, review_opens=now - timedelta(hours=1), review_due=now + timedelta(days=10),
        results_release=now + timedelta(days=11), phase_override=None))
    session.commit()

    coverage = instructor.get("/links/{link}/coverage")

    assert coverage.status_code == 200
    assert "11 more reviews are expected before then." in page_text(coverage)
