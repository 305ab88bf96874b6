"""Calibration: staff write graded examples; students assess them blind, compare, retry, and then may review."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from assessment.models import Assignment, CalibrationAttempt, CalibrationExample
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import Visitor, page_text

LEVELS = {"title": "Argument", "scoring": "levels", "weight": "1", "levels": "0 | Missing\n2 | Weak\n4 | Strong"}


def _key(session) -> str:
    return see_committed(session).scalars(select(Assignment)).one().rubric.criteria[0].key


def _require_calibration(session, examples: int = 2, attempts: int = 2) -> None:
    assignment = see_committed(session).scalars(select(Assignment)).one()
    assignment.calibration_examples_required, assignment.calibration_attempts = examples, attempts
    assignment.calibration_pass_accuracy = 0.9
    session.commit()


def _add_example(instructor: Visitor, key: str, title: str, reference: str):
    return instructor.post("/links/{link}/calibration/examples/new", {
        "title": title, "text": f"<p>{title}: an essay with a claim.</p>",
        f"score-{key}": reference, f"comment-{key}": f"The claim is {title.lower()}."})


def test_staff_add_an_example_with_its_reference_and_explanation(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _key(session)

    response = _add_example(instructor, key, "Clear claim", "4")

    example = see_committed(session).scalars(select(CalibrationExample)).one()
    assert response.status_code == 200 and "Example saved" in response.text
    assert example.reference == {key: 4.0} and example.explanations == {key: "The claim is clear claim."}


def test_an_example_without_reference_scores_is_refused(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    counts = row_counts(session)

    response = instructor.post("/links/{link}/calibration/examples/new", {"title": "x", "text": "<p>text</p>"})

    assert response.status_code == 400 and "reference score" in page_text(response)
    assert row_counts(session) == counts


def test_a_student_calibrates_compares_with_the_reference_retries_and_then_reviews(lms, instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _key(session)
    _add_example(instructor, key, "Clear claim", "4")
    _add_example(instructor, key, "Weak claim", "2")
    _require_calibration(session)
    student = Visitor(lms, "student-1")
    student.launch()
    student.post("/links/{link}/submission", {"text": "My essay"})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    blocked = student.post("/links/{link}/reviews/next", {})
    assert "calibration" in page_text(blocked).lower()

    first_page = student.get("/links/{link}/calibration")
    assert "Clear claim" in page_text(first_page) and "The claim is clear" not in page_text(first_page)  # blind
    example_id = re.search(r'name="example" value="(\d+)"', first_page.text)[1]
    miss = student.post("/links/{link}/calibration", {"example": example_id, f"score-{key}": "0"})
    # No spare example: the retry is the same one, so its reference stays hidden until the student passes it.
    assert "0% accurate" in page_text(miss) and "The claim is clear" not in page_text(miss)
    assert "Instructor's score" not in page_text(miss) and "same example" in page_text(miss)
    retry = student.get("/links/{link}/calibration")
    assert re.search(r'name="example" value="(\d+)"', retry.text)[1] == example_id
    assert "The claim is clear" not in page_text(retry)
    hit = student.post("/links/{link}/calibration", {"example": example_id, f"score-{key}": "4"})
    assert "100% accurate" in page_text(hit) and "The claim is clear claim." in page_text(hit)
    second = re.search(r'name="example" value="(\d+)"', student.get("/links/{link}/calibration").text)[1]
    done = student.post("/links/{link}/calibration", {"example": second, f"score-{key}": "2"})
    assert "Calibration done" in page_text(done)

    attempts = see_committed(session).scalars(select(CalibrationAttempt)).all()
    assert [a.accuracy for a in attempts] == [0.0, 1.0, 1.0]
    # The weight of the student's reviews is the first attempt at each example: 0% and 100%.
    summary = page_text(student.get("/links/{link}/calibration"))
    assert "accuracy is 50%" in summary and "first attempt" in summary
    results = page_text(instructor.get("/links/{link}/calibration/examples"))
    assert "passed" in results and "50%" in results
    after = page_text(student.post("/links/{link}/reviews/next", {}))
    assert "Finish the calibration examples first" not in after  # calibration no longer stands in the way
    assert "There is no submission you can review yet" in after


def test_a_failed_attempt_shows_the_reference_and_the_retry_is_on_another_example(lms, instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _key(session)
    for title, reference in (("Clear claim", "4"), ("Weak claim", "2"), ("No claim", "0")):
        _add_example(instructor, key, title, reference)
    _require_calibration(session, examples=1, attempts=2)
    student = Visitor(lms, "student-1")
    student.launch()
    student.post("/links/{link}/submission", {"text": "My essay"})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    first = re.search(r'name="example" value="(\d+)"', student.get("/links/{link}/calibration").text)[1]
    miss = student.post("/links/{link}/calibration", {"example": first, f"score-{key}": "0"})
    assert "The claim is clear claim." in page_text(miss) and "another example" in page_text(miss)

    retry_page = student.get("/links/{link}/calibration")
    retry = re.search(r'name="example" value="(\d+)"', retry_page.text)[1]
    assert retry != first and "Weak claim" in page_text(retry_page)
    copied = student.post("/links/{link}/calibration", {"example": first, f"score-{key}": "4"})
    assert copied.status_code == 400  # the revealed example is never assessed again
    done = student.post("/links/{link}/calibration", {"example": retry, f"score-{key}": "2"})
    assert "Calibration done" in page_text(done)
    assert "0%" in page_text(student.get("/links/{link}/calibration"))


def test_an_examples_explanation_is_stored_as_typed_and_shown_escaped(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _key(session)

    instructor.post("/links/{link}/calibration/examples/new", {
        "title": "Inequality", "text": "<p>An essay.</p>", f"score-{key}": "4", f"comment-{key}": "Shows a < b & x<y."})

    example = see_committed(session).scalars(select(CalibrationExample)).one()
    assert example.explanations == {key: "Shows a < b & x<y."}
    page = instructor.get(f"/links/{{link}}/calibration/examples/{example.id}")
    assert "Shows a &lt; b &amp; x&lt;y." in page.text


def _calibrate_both_examples_in_the_calibration_phase(lms, instructor, session) -> tuple[str, str, str]:
    """Two examples, calibration opened by hand while reviewing opens in days; student-1 practises on both.
    Returns the staff overview before calibration opens and once it is open, and the student's last result page."""
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _key(session)
    _add_example(instructor, key, "Clear claim", "4")
    _add_example(instructor, key, "Weak claim", "2")
    _require_calibration(session)
    student = Visitor(lms, "student-1")
    student.launch()
    student.post("/links/{link}/submission", {"text": "My essay"})
    overview_before = page_text(instructor.get("/links/{link}"))
    instructor.post("/links/{link}/phase", {"phase": "calibration"})
    overview_open = page_text(instructor.get("/links/{link}"))
    done = None
    for reference in ("4", "2"):
        example_id = re.search(r'name="example" value="(\d+)"', student.get("/links/{link}/calibration").text)[1]
        done = student.post("/links/{link}/calibration", {"example": example_id, f"score-{key}": reference})
    return overview_before, overview_open, page_text(done)


def test_calibration_not_yet_open_or_not_started_is_not_shown_as_in_progress(lms, instructor, session):
    before, opened, _ = _calibrate_both_examples_in_the_calibration_phase(lms, instructor, session)

    assert "not open yet" in before and "in progress" not in before
    assert "not started" in opened and "in progress" not in opened


def test_finishing_calibration_before_reviewing_opens_says_when_it_opens(lms, instructor, session):
    _, _, done = _calibrate_both_examples_in_the_calibration_phase(lms, instructor, session)
    review_opens = see_committed(session).scalars(select(Assignment)).one().review_opens

    assert "Calibration done" in done and "go to reviewing" not in done
    assert "Reviewing opens" in done and str(review_opens.astimezone(ZoneInfo("Europe/Paris")).day) in done
