"""Fixtures for pages of an assignment: an instructor who set one up at the sandbox's link, a class in review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessment.calibration_training import student_status
from assessment.db import utcnow
from assessment.models import Assignment, Person
from assessment.peer_review import ReviewerContext, ReviewInput, request_review, save_review
from tests.support.documents import pdf_naming_its_author
from tests.support.rows import see_committed
from tests.support.visitor import Visitor


@pytest.fixture
def instructor(lms) -> Visitor:
    """The sandbox instructor, launched into the demo link, with a peer assessment created there and opened (a new
    activity waits in setup until staff open it; its default dates start at once)."""
    visitor = Visitor(lms, "instructor-1")
    visitor.launch()
    response = visitor.post("/links/{link}/assignment",
                            {"title": "Essay 1 peer review", "points_possible": "50", "timezone": "Europe/Paris"})
    assert response.status_code == 200 and "Settings of" in response.text, response.text[:500]
    opened = visitor.post("/links/{link}/phase", {"phase": ""})
    assert "The activity is open" in opened.text, opened.text[:500]
    return visitor


@pytest.fixture
def student(lms, instructor) -> Visitor:
    visitor = Visitor(lms, "student-1")
    visitor.launch()
    return visitor


LEVELS = {"title": "Argument", "scoring": "levels", "weight": "2", "levels": "0 | Missing\n2 | Weak\n4 | Strong"}
RANGE = {"title": "Style", "scoring": "range", "weight": "1", "range_low": "0", "range_high": "10",
         "comment_prompt": "How could it read better?", "comment_required": "y", "comment_min_length": "10"}
STUDENTS = ["student-1", "student-2", "student-3", "student-4"]


@pytest.fixture
def class_in_review(lms, instructor, session) -> dict[str, Visitor]:
    """Four students handed in (text and a PDF named after them); the instructor opened reviewing by hand."""
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    instructor.post("/links/{link}/rubric/criteria", RANGE)
    students = {}
    for user in STUDENTS:
        student = Visitor(lms, user)
        student.launch()
        response = student.post("/links/{link}/submission", {"text": "An essay about peer review."},
                                files={"file": (f"{user}_essay.pdf", pdf_naming_its_author(f"Author {user}"))})
        assert response.status_code == 200
        students[user] = student
    instructor.post("/links/{link}/phase", {"phase": "review"})
    return students


def review_everything(class_in_review: dict[str, Visitor], session) -> None:
    """Every student of the class asks for and submits the three reviews each must do, through the use cases the
    review pages call: the tests that use it check what follows (the reviewing pages have tests of their own)."""
    assignment = see_committed(session).scalars(select(Assignment)).one()
    argument, style = (criterion.key for criterion in assignment.rubric.criteria)
    entry = ReviewInput({argument: 4.0, style: 8.0}, {style: "Vary the sentence length."}, submit=True)
    reviewers = [session.scalars(select(Person.id).where(Person.subject == user)).one() for user in class_in_review]
    for _ in range(3):
        for reviewer in reviewers:
            calibration = student_status(session, assignment, reviewer)
            review = request_review(session, ReviewerContext(assignment.id, reviewer, calibration.done), utcnow())
            save_review(session, review.id, reviewer, entry, utcnow())
            session.commit()
