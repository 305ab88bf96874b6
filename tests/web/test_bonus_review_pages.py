"""Bonus reviews on the pages: offered on the home of a student whose reviews are done, taken only by students in
the review phase, counted in the reviewing grade as the instructor sets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from assessment.models import Assignment, Extension, Person, Review, ReviewStatus
from assessment.personal_dates import Step
from tests.support.access import visitor_of_kind
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.test_assignment_settings import _settings_form


def _one_review_each(session) -> None:
    see_committed(session).execute(update(Assignment).values(reviews_per_student=1))
    session.commit()


def _review(student: Visitor, path: str, session) -> int:
    keys = [criterion.key for criterion in see_committed(session).scalars(select(Assignment)).one().rubric.criteria]
    asked = student.post(path, {})
    review_id = int(re.search(r"/reviews/(\d+)$", asked.url)[1])
    done = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{keys[0]}": "4", f"score-{keys[1]}": "7", f"comment-{keys[1]}": "Shorter sentences would help.",
        "action": "submit"})
    assert done.status_code == 200
    return review_id


def test_a_student_whose_reviews_are_done_is_offered_an_extra_review_and_may_take_it(class_in_review, session):
    _one_review_each(session)
    student = class_in_review["student-1"]
    assert "Optional: one more review" not in page_text(student.get("/links/{link}"))

    _review(student, "/links/{link}/reviews/next", session)
    offered = page_text(student.get("/links/{link}"))
    bonus = _review(student, "/links/{link}/reviews/bonus", session)

    assert "Optional: one more review" in offered and "Nothing is lost if you don't." in offered
    assert "adds" not in offered  # bonus reviews count for nothing by default
    review = see_committed(session).get(Review, bonus)
    assert review.bonus is True and review.status is ReviewStatus.SUBMITTED


def test_a_student_with_a_review_still_owed_is_sent_home_with_the_reason(class_in_review, session):
    _one_review_each(session)

    refused = class_in_review["student-1"].post("/links/{link}/reviews/bonus", {})

    assert "Extra reviews are offered once your own reviews are done." in page_text(refused)
    assert see_committed(session).scalars(select(Review)).all() == []


def test_no_extra_review_is_taken_once_reviewing_closed(instructor, class_in_review, session):
    _one_review_each(session)
    student = class_in_review["student-1"]
    _review(student, "/links/{link}/reviews/next", session)
    instructor.post("/links/{link}/phase", {"phase": "grading"})

    refused = student.post("/links/{link}/reviews/bonus", {})

    assert "Reviewing is closed, so no extra review can be taken." in page_text(refused)
    assert "Optional: one more review" not in page_text(student.get("/links/{link}"))
    assert len(see_committed(session).scalars(select(Review)).all()) == 1


def test_a_reviewer_whose_extension_runs_after_the_class_deadline_is_still_offered_an_extra_review(
        class_in_review, session):
    _one_review_each(session)
    student = class_in_review["student-1"]
    _review(student, "/links/{link}/reviews/next", session)
    now = datetime.now(UTC)
    committed = see_committed(session)
    person = committed.scalars(select(Person).where(Person.subject == "student-1")).one()
    assignment = committed.scalars(select(Assignment)).one()
    assignment.review_due = now - timedelta(hours=1)  # the class has moved on to grading; this student has not
    committed.add(Extension(assignment_id=assignment.id, person_id=person.id, step=Step.REVIEW,
                            until=now + timedelta(days=2), reason="Hospital stay"))
    committed.commit()

    offered = page_text(student.get("/links/{link}"))
    bonus = _review(student, "/links/{link}/reviews/bonus", session)

    assert "Optional: one more review" in offered
    assert see_committed(session).get(Review, bonus).bonus is True


@pytest.mark.parametrize("kind", ["instructor", "teaching assistant", "student of another course"])
def test_staff_and_other_courses_cannot_take_a_bonus_review(lms, instructor, class_in_review, session, kind):
    visitor = visitor_of_kind(lms, kind, instructor.link_id)
    token = visitor._csrf or instructor.csrf_token()

    refused = visitor.post("/links/{link}/reviews/bonus", {"csrf_token": token}, csrf=False)

    assert refused.status_code == (403 if visitor._csrf else 400)
    assert see_committed(session).scalars(select(Review)).all() == []


def test_the_instructor_sets_what_a_bonus_review_adds_and_the_offer_says_it(instructor, class_in_review, session):
    _one_review_each(session)
    saved = instructor.post("/links/{link}/settings", _settings_form(instructor) | {"bonus_review_points": "2.5"})
    student = class_in_review["student-1"]
    _review(student, "/links/{link}/reviews/next", session)

    offered = page_text(student.get("/links/{link}"))

    assert saved.status_code == 200, page_text(saved)[:300]
    assert see_committed(session).scalars(select(Assignment)).one().bonus_review_points == 2.5
    assert "Each extra review adds 2.5 points to your reviewing grade, up to its full share." in offered


@pytest.mark.parametrize("change, message", [
    ({"bonus_review_points": "-1"}, "Number must be between 0 and 10000."),
    ({"bonus_review_points": "60"}, "A bonus review adds between 0 and the points possible."),
    ({"flexible_grading_days": "61"}, "Number must be between 0 and 60."),
    ({"flexible_grading_days": "two"}, "Not a valid integer value."),
], ids=["negative bonus", "bonus beyond the points", "too many days", "days not a number"])
def test_bad_bonus_and_flexible_grading_settings_get_a_clear_message(instructor, session, change, message):
    before = see_committed(session).scalars(select(Assignment)).one().settings

    response = instructor.post("/links/{link}/settings", _settings_form(instructor) | change)

    assert response.status_code == 400 and message in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().settings == before

