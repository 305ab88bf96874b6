"""One release publishes a grade to the student and the gradebook alike; a grade recomputed later waits, marked, for
the next release, which sends only what changed."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from assessment.models import Grade, GradePosting, Person, ResourceLink, Review, ReviewKind, Submission
from tests.support.faults import sandbox_scores
from tests.support.rows import see_committed
from tests.support.visitor import page_text
from tests.web.conftest import review_everything


def _grades(session) -> dict[str, Grade]:
    return {grade.person.subject: grade for grade in see_committed(session).scalars(select(Grade))}


def _gradebook(lms, session) -> dict[str, list[dict]]:
    link = see_committed(session).scalars(select(ResourceLink)).one()
    return sandbox_scores(lms, link.ags_claim["lineitem"])


def _shown_grade(text: str) -> float:
    return float(re.search(r"Your grade ([\d.]+) out of 50 points", text)[1])


def _shown_parts(text: str) -> tuple[float, float, float]:
    work = float(re.search(r"up to 40 points\. ([\d.]+) of 40", text)[1])
    reviewing = float(re.search(r"reviews done\. ([\d.]+) of 10", text)[1])
    total = float(re.search(r"Total ([\d.]+) of 50", text)[1])
    return work, reviewing, total


def _lower_one_review_of(session, subject: str) -> None:
    """A review of `subject`'s work now scores it lower, as removing a generous review would."""
    author = session.scalars(select(Person).where(Person.subject == subject)).one()
    review = session.scalars(select(Review).join(Submission, Review.submission_id == Submission.id)
                             .where(Submission.author_id == author.id, Review.kind == ReviewKind.PEER)
                             .order_by(Review.id)).first()
    review.score -= 2.0
    session.commit()


def test_releasing_shows_students_the_very_grade_the_gradebook_received_without_moving_the_phase(
        lms, instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})

    released = instructor.post("/links/{link}/grades/release", {})

    assert "4 grades released" in page_text(released) and "Results are now open to students" in page_text(released)
    gradebook = _gradebook(lms, session)
    for subject, student in class_in_review.items():
        text = page_text(student.get("/links/{link}"))
        assert "Results are released" not in text
        assert _shown_grade(text) == gradebook[subject][-1]["scoreGiven"] == _grades(session)[subject].final
        # Each handed in and did the three reviews owed.
        assert (gradebook[subject][-1]["activityProgress"], gradebook[subject][-1]["gradingProgress"]) == (
            "Completed", "FullyGraded")


def test_a_grade_recomputed_after_release_is_marked_for_staff_and_students_keep_the_released_one_until_released_again(
        lms, instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    instructor.post("/links/{link}/grades/release", {})
    reader = class_in_review["student-1"]
    before = page_text(reader.get("/links/{link}"))
    first = {subject: grade.final for subject, grade in _grades(session).items()}
    first_postings = {p.person_id: p for p in see_committed(session).scalars(select(GradePosting))}

    _lower_one_review_of(session, "student-1")
    instructor.post("/links/{link}/grades/run", {"method": "mean"})

    now = _grades(session)
    assert now["student-1"].final < first["student-1"]
    grades_page = page_text(instructor.get("/links/{link}/grades"))
    row = re.search(r"changed since release[^|]*", grades_page)
    assert row and f"{first['student-1']:g}" in row[0] and f"{now['student-1'].final:g}" in row[0], grades_page
    assert grades_page.count("changed since release") == 1
    dashboard = page_text(instructor.get("/links/{link}"))
    assert "changed since release" in dashboard and "3 of 4 grades released" in dashboard
    assert "Release the grades to students and the gradebook." in dashboard
    # The student still reads the released grade, whose parts add up to it.
    after = page_text(reader.get("/links/{link}"))
    assert _shown_grade(after) == _shown_grade(before) == first["student-1"]
    assert _shown_parts(after) == _shown_parts(before)
    work, reviewing, total = _shown_parts(after)
    assert round(work + reviewing, 2) == total

    again = instructor.post("/links/{link}/grades/release", {})

    assert "1 grade released" in page_text(again) and "Results are now open" not in page_text(again)
    postings = see_committed(session).scalars(select(GradePosting).order_by(GradePosting.id)).all()
    newer = postings[len(first_postings):]
    assert [p.person.subject for p in newer] == ["student-1"]
    assert newer[0].timestamp > first_postings[newer[0].person_id].timestamp
    assert newer[0].score_given == now["student-1"].final
    assert _gradebook(lms, session)["student-1"][-1]["scoreGiven"] == now["student-1"].final
    text = page_text(reader.get("/links/{link}"))
    assert _shown_grade(text) == now["student-1"].final
    work, reviewing, total = _shown_parts(text)
    assert round(work + reviewing, 2) == total == now["student-1"].final
    assert "changed since release" not in page_text(instructor.get("/links/{link}/grades"))


def test_an_override_is_kept_in_hundredths_and_the_student_reads_parts_that_add_up_to_it(
        lms, instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    author = _grades(session)["student-2"]
    instructor.post(f"/links/{{link}}/grades/{author.person_id}/override", {"total": "44.126", "reason": "Revised"})
    instructor.post("/links/{link}/grades/release", {})

    text = page_text(class_in_review["student-2"].get("/links/{link}"))

    assert _grades(session)["student-2"].final == 44.13 == _shown_grade(text)
    assert _gradebook(lms, session)["student-2"][-1]["scoreGiven"] == 44.13
    work, reviewing, total = _shown_parts(text)
    change = re.search(r"Changed by course staff Revised ([+\N{MINUS SIGN}])([\d.]+)", text)
    sign = 1 if change[1] == "+" else -1
    assert round(work + reviewing + sign * float(change[2]), 2) == total == 44.13


def _exported(instructor) -> dict[str, dict[str, str]]:
    response = instructor.get("/links/{link}/export/grades.csv")
    return {row["Email"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}


def test_the_grades_export_marks_a_grade_changed_since_release_with_the_released_total_beside_the_current_one(
        lms, instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    emails = {subject: grade.person.email for subject, grade in _grades(session).items()}
    unreleased = _exported(instructor)
    instructor.post("/links/{link}/grades/release", {})
    first = {subject: grade.final for subject, grade in _grades(session).items()}
    released = _exported(instructor)

    _lower_one_review_of(session, "student-1")
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    now = _grades(session)["student-1"].final
    changed = _exported(instructor)

    assert all(row["Changed since release"] == row["Released grade"] == "" for row in unreleased.values())
    assert all(released[emails[subject]]["Changed since release"] == "no" for subject in first)
    assert all(float(released[emails[subject]]["Released grade"]) == final for subject, final in first.items())
    row = changed[emails["student-1"]]
    assert row["Changed since release"] == "yes"
    assert (float(row["Released grade"]), float(row["Final grade"])) == (first["student-1"], now)
    assert now != first["student-1"]
    others = [changed[emails[subject]] for subject in first if subject != "student-1"]
    assert all(other["Changed since release"] == "no" for other in others)
    assert list(changed[emails["student-1"]]).index("Released grade") == list(row).index("Final grade") + 1
