"""Staff run grading, see the doubtful grades first, compare methods, override, release; the gradebook fills."""

from __future__ import annotations

import requests
from sqlalchemy import select

from assessment import aggregation
from assessment.models import Grade, GradePosting, PostingStatus
from tests.support.rows import see_committed
from tests.support.visitor import page_text
from tests.web.conftest import review_everything


def test_staff_run_grading_compare_methods_override_and_release_to_the_gradebook(lms, instructor, class_in_review,
                                                                                 session):
    review_everything(class_in_review, session)

    ran = instructor.post("/links/{link}/grades/run", {"method": "mean"})
    assert "Grades computed for 4 students" in page_text(ran)
    grades = see_committed(session).scalars(select(Grade)).all()
    assert len(grades) == 4 and all(grade.total > 0 for grade in grades)
    compare = page_text(instructor.get("/links/{link}/grades/compare"))
    assert "Reliability-weighted" in compare and "Median" in compare

    target = grades[0]
    refused = instructor.post(f"/links/{{link}}/grades/{target.person_id}/override", {"total": "45", "reason": ""})
    assert refused.status_code == 400 and "Say why" in page_text(refused)
    instructor.post(f"/links/{{link}}/grades/{target.person_id}/override",
                    {"total": "45", "reason": "Excellent revision in class"})
    assert see_committed(session).get(Grade, target.id).final == 45

    released = instructor.post("/links/{link}/grades/release", {})
    assert "4 grades released" in page_text(released)
    postings = see_committed(session).scalars(select(GradePosting)).all()
    assert len(postings) == 4 and {p.status for p in postings} == {PostingStatus.POSTED}
    gradebook = page_text(requests.get(f"{lms.sandbox.url}/gradebook", timeout=10))
    assert "45" in gradebook


def test_the_method_comparison_says_whether_the_reliability_estimate_settled(lms, instructor, class_in_review,
                                                                             session, monkeypatch):
    review_everything(class_in_review, session)

    settled = page_text(instructor.get("/links/{link}/grades/compare"))
    assert "assesses): the scores settled after" in settled
    assert "still moving" not in settled

    # A tolerance no change can meet: the fit runs to its limit of sweeps unsettled.
    monkeypatch.setattr(aggregation, "TOLERANCE", -1.0)
    monkeypatch.setattr(aggregation, "MAX_ITERATIONS", 3)
    unsettled = page_text(instructor.get("/links/{link}/grades/compare"))
    assert "assesses): the scores were still moving when estimation stopped after 3 rounds;" in unsettled
    assert "settled after" not in unsettled


def test_students_cannot_reach_the_grading_pages(class_in_review):
    student = class_in_review["student-1"]

    assert student.get("/links/{link}/grades").status_code == 403
    assert student.post("/links/{link}/grades/release", {}).status_code == 403
    assert student.post("/links/{link}/grades/run", {}).status_code == 403
