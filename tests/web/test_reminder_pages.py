"""Reminders on the pages: a student sees theirs and turns the e-mails off or on; staff see how e-mails fare and set the
hours; a launch keeps the person's language and the activity's address in the LMS for the e-mails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from assessment.models import Assignment, Enrollment, Person, Reminder, ReminderStatus, ResourceLink
from tests.conftest import make_settings
from tests.support.lms import RunningLMS, start_lms
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.test_assignment_settings import _settings_form


@pytest.fixture
def lms(request, session, tmp_path, database_url, sandbox_instance) -> Iterator[RunningLMS]:
    """The tool with e-mail on (an SMTP relay no page ever calls) unless the parameter is "off", and a sandbox that
    names each link's page in the `activity_url` custom parameter."""
    mail = getattr(request, "param", "on") == "on"
    extra = {"SMTP_URL": "smtp://127.0.0.1:1"} if mail else {}
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, **extra), sandbox_instance,
                        sandbox_options={"activity_urls": True})
    yield running
    running.stop()


def _deadline_in(session, hours: float) -> None:
    now = datetime.now(UTC)
    due = now + timedelta(hours=hours)
    session.execute(update(Assignment).values(submission_opens=now - timedelta(days=1), submission_due=due,
                                              review_opens=due, review_due=due + timedelta(days=7),
                                              results_release=due + timedelta(days=8), phase_override=None))
    session.commit()


def _enrollment(session, subject: str) -> Enrollment:
    return see_committed(session).scalars(
        select(Enrollment).join(Person, Person.id == Enrollment.person_id).where(Person.subject == subject)).one()


def test_a_launch_keeps_the_persons_language_and_the_activitys_address_in_the_lms(lms, instructor, session):
    student = Visitor(lms, "student-1")
    student.launch(locale="hi-IN")
    person = see_committed(session).scalars(select(Person).where(Person.subject == "student-1")).one()
    assert person.locale == "hi"
    link = session.scalars(select(ResourceLink)).one()
    assert link.lms_url is not None and link.lms_url.startswith(lms.sandbox.url + "/?link=")
    student.launch(locale=None)  # a launch without a locale keeps the one known
    assert see_committed(session).scalars(select(Person.locale).where(Person.subject == "student-1")).one() == "hi"


def test_a_student_sees_a_reminder_while_a_deadline_is_near_and_their_step_undone(instructor, student, session):
    _deadline_in(session, 50)
    assert "Hand in your work before" not in page_text(student.get("/links/{link}"))
    _deadline_in(session, 5)
    home = page_text(student.get("/links/{link}"))
    assert "Hand in your work before in 4 hours" in home or "Hand in your work before in 5 hours" in home
    student.post("/links/{link}/submission", {"text": "My essay"})
    home = page_text(student.get("/links/{link}"))
    assert "Hand in your work before" not in home and "No deadline is near with a step still to do." in home


def test_a_student_turns_reminder_emails_off_and_back_on(instructor, student, session):
    home = page_text(student.get("/links/{link}"))
    assert "Reminders are also sent to your e-mail before each deadline." in home
    off = student.post("/links/{link}/reminders", {"emails": "off"})
    assert off.status_code == 200 and "You will get no reminder e-mails from this course." in page_text(off)
    assert "Send me reminder e-mails" in page_text(off)
    assert _enrollment(session, "student-1").reminders_off is True
    on = student.post("/links/{link}/reminders", {"emails": "on"})
    assert "You will get reminder e-mails before each deadline." in page_text(on)
    assert _enrollment(session, "student-1").reminders_off is False


def test_the_reminder_switch_needs_its_csrf_token_and_a_choice(instructor, student, session):
    assert student.post("/links/{link}/reminders", {"emails": "off"}, csrf=False).status_code == 400
    assert student.post("/links/{link}/reminders", {"emails": "sometimes"}).status_code == 400
    assert student.post("/links/{link}/reminders", {}).status_code == 400
    assert _enrollment(session, "student-1").reminders_off is False


def test_staff_and_visitors_without_a_launch_cannot_use_the_students_reminder_switch(lms, instructor, session):
    refused = instructor.post("/links/{link}/reminders", {"emails": "off"})
    assert refused.status_code == 403 and "staff get a daily summary" in page_text(refused)
    assert _enrollment(session, "instructor-1").reminders_off is False
    stranger = Visitor(lms, "student-2", link_id=instructor.link_id)
    assert stranger.post("/links/{link}/reminders", {"emails": "off"}, csrf=False).status_code in (400, 403)


@pytest.mark.parametrize("lms", ["off"], indirect=True)
def test_without_smtp_the_dashboard_says_email_is_off_and_students_get_no_email_switch(lms, instructor, student,
                                                                                        session):
    _deadline_in(session, 5)
    dashboard = page_text(instructor.get("/links/{link}"))
    assert "E-mail is off: reminders show on students" in dashboard and "home pages only." in dashboard
    home = page_text(student.get("/links/{link}"))
    assert "Hand in your work before" in home and "Stop reminder e-mails" not in home


def test_the_dashboard_counts_reminders_sent_failed_and_without_an_address(instructor, student, session):
    assignment = see_committed(session).scalars(select(Assignment)).one()
    person = session.scalars(select(Person.id).where(Person.subject == "student-1")).one()
    now = datetime.now(UTC)
    session.add_all([
        Reminder(assignment_id=assignment.id, person_id=person, kind="submission", hours=48, period="",
                 status=ReminderStatus.SENT, claimed_at=now, last_error=""),
        Reminder(assignment_id=assignment.id, person_id=person, kind="submission", hours=6, period="",
                 status=ReminderStatus.FAILED, claimed_at=now, last_error="The mail server refused the recipient: 550"),
        Reminder(assignment_id=assignment.id, person_id=person, kind="review", hours=6, period="",
                 status=ReminderStatus.NO_ADDRESS, claimed_at=now, last_error=""),
    ])
    session.commit()
    dashboard = page_text(instructor.get("/links/{link}"))
    assert "Students who still owe a step are e-mailed 48, 6 hours before each deadline" in dashboard
    assert "Sent: 1" in dashboard and "Not delivered: 1" in dashboard
    assert "last error: The mail server refused the recipient: 550" in dashboard
    assert "Skipped, no e-mail address from the LMS: 1" in dashboard


def test_staff_set_the_reminder_hours_and_bad_hours_are_refused(instructor, session):
    form = _settings_form(instructor)
    assert form["reminder_hours"] == "48, 6"
    refused = instructor.post("/links/{link}/settings", form | {"reminder_hours": "72, soon"})
    assert refused.status_code == 400 and "whole numbers of hours between 1 and 336" in page_text(refused)
    assert see_committed(session).scalars(select(Assignment.reminder_hours)).one() == [48, 6]
    saved = instructor.post("/links/{link}/settings", form | {"reminder_hours": "6, 24"})
    assert saved.status_code == 200 and "Settings saved." in page_text(saved)
    assert see_committed(session).scalars(select(Assignment.reminder_hours)).one() == [24, 6]
    # The form as the page now shows it: the one read before the save is an older tab's, refused as such.
    instructor.post("/links/{link}/settings", _settings_form(instructor) | {"reminder_hours": ""})
    assert see_committed(session).scalars(select(Assignment.reminder_hours)).one() == []
