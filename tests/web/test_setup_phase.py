"""A new activity waits in setup: students see it is not open yet, staff see what is missing and open it."""

from __future__ import annotations

from sqlalchemy import select

from assessment.models import Assignment, CalibrationExample, Grade, Submission
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text

NEW_ACTIVITY = {"title": "Essay 1 peer review", "points_possible": "50", "timezone": "Europe/Paris"}


def _new_activity(lms) -> Visitor:
    teacher = Visitor(lms, "instructor-1")
    teacher.launch()
    teacher.post("/links/{link}/assignment", NEW_ACTIVITY)
    return teacher


def test_a_new_activity_is_not_open_to_students(lms, session):
    _new_activity(lms)
    student = Visitor(lms, "student-1")

    home = student.launch()

    assert "Opens when your instructor opens it" in page_text(home) and "Your answer" not in home.text
    assert see_committed(session).scalars(select(Assignment)).one().phase_override == "setup"


def test_the_dashboard_of_a_new_activity_says_what_is_missing_and_opening_it_lets_students_start(lms, session):
    teacher = _new_activity(lms)
    see_committed(session).scalars(select(Assignment)).one().calibration_examples_required = 2
    session.commit()

    dashboard = page_text(teacher.get("/links/{link}"))
    opened = teacher.post("/links/{link}/phase", {"phase": ""})
    student = Visitor(lms, "student-1")
    student.launch()
    handed_in = student.post("/links/{link}/submission", {"text": "Now it is open."})

    assert "Before students can start" in dashboard and "not open yet" in dashboard
    assert "Write the rubric reviewers will use." in dashboard
    assert "Submissions open" in dashboard and "are due" in dashboard
    assert "Add calibration examples: 0 written, 2 needed." in dashboard
    assert "The activity is open and follows its dates" in page_text(opened)
    assert "Before students can start" not in page_text(opened)
    assert handed_in.status_code == 200 and "Submitted: version 1." in page_text(handed_in)


def test_an_opened_activity_whose_dates_lie_ahead_stays_closed_until_they_arrive(lms, session):
    from datetime import UTC, datetime, timedelta

    teacher = _new_activity(lms)
    assignment = see_committed(session).scalars(select(Assignment)).one()
    assignment.submission_opens = datetime.now(UTC) + timedelta(days=1)
    session.commit()
    teacher.post("/links/{link}/phase", {"phase": ""})
    student = Visitor(lms, "student-1")
    home = student.launch()

    dashboard = page_text(teacher.get("/links/{link}"))

    assert "it opens by its dates" in dashboard and "Open the activity" not in dashboard
    assert "Opens " in page_text(home) and "Your answer" not in home.text


def test_in_setup_students_can_neither_hand_in_nor_open_the_activity(lms, session):
    teacher = _new_activity(lms)
    teacher.post("/links/{link}/phase", {"phase": ""})
    student = Visitor(lms, "student-1")
    student.launch()  # the form to hand in work is on the page, as a tab opened before staff went back to setup
    teacher.post("/links/{link}/phase", {"phase": "setup"})

    handed_in = student.post("/links/{link}/submission", {"text": "Too early."})
    opened = student.post("/links/{link}/phase", {"phase": ""})

    assert handed_in.status_code == 409 and "not open yet" in page_text(handed_in)
    assert opened.status_code == 403
    assert see_committed(session).scalars(select(Submission)).all() == []
    assert see_committed(session).scalars(select(Assignment)).one().phase_override == "setup"


def test_the_checklist_asks_for_new_dates_once_the_submission_deadline_has_passed(lms, session):
    from datetime import UTC, datetime, timedelta

    teacher = _new_activity(lms)
    before = page_text(teacher.get("/links/{link}"))
    see_committed(session).scalars(select(Assignment)).one().submission_due = datetime.now(UTC) - timedelta(minutes=1)
    session.commit()

    after = page_text(teacher.get("/links/{link}"))

    assert "deadline has already passed" not in before and "Submissions open" in before
    assert "The submission deadline has already passed: set new dates." in after


def test_in_setup_staff_can_neither_compute_nor_release_grades(lms, session):
    teacher = _new_activity(lms)
    Visitor(lms, "student-1").launch()

    computed = teacher.post("/links/{link}/grades/run", {})
    released = teacher.post("/links/{link}/grades/release", {})

    for refused in (computed, released):
        assert 400 <= refused.status_code < 500
        assert "still being set up" in page_text(refused)
    assert see_committed(session).scalars(select(Grade)).all() == []
    assert see_committed(session).scalars(select(Assignment)).one().phase_override == "setup"


def test_the_grades_page_warns_that_releasing_before_grading_ends_reviewing(instructor, class_in_review):
    instructor.post("/links/{link}/grades/run", {})
    during_review = page_text(instructor.get("/links/{link}/grades"))
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    once_grading = page_text(instructor.get("/links/{link}/grades"))

    warning = "releasing now ends handing in and reviewing"
    assert warning in during_review and warning not in once_grading


def test_the_dashboard_counts_the_calibration_examples_written_in_setup_and_once_open(lms, session):
    teacher = _new_activity(lms)
    assignment = see_committed(session).scalars(select(Assignment)).one()
    assignment.calibration_examples_required = 2
    session.add(CalibrationExample(assignment_id=assignment.id, title="Model essay", text_html="<p>Model</p>"))
    session.commit()

    in_setup = page_text(teacher.get("/links/{link}"))
    teacher.post("/links/{link}/phase", {"phase": ""})
    opened = page_text(teacher.get("/links/{link}"))
    session.add(CalibrationExample(assignment_id=assignment.id, title="Weak essay", text_html="<p>Weak</p>",
                                   position=1))
    session.commit()
    both_written = page_text(teacher.get("/links/{link}"))

    assert "Add calibration examples: 1 written, 2 needed." in in_setup
    assert "Add calibration examples: 1 written, 2 needed." in opened
    assert "Add calibration examples" not in both_written
