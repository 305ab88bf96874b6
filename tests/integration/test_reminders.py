"""Reminders reach students who still owe a step before each deadline, once each, by a real SMTP server; staff get a
daily summary and see what failed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from assessment.assignment_settings import default_settings
from assessment.db import make_session_factory
from assessment.extensions import ExtensionRequest, grant_extension
from assessment.models import (
    Assignment,
    Course,
    CourseRole,
    Enrollment,
    Person,
    Reminder,
    ReminderStatus,
    ResourceLink,
    Review,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
)
from assessment.personal_dates import Step
from assessment.reminder_outbox import STALE_SENDING, claim_due, delivery
from assessment.services import create_assignment, set_phase
from config.settings import Settings
from lti_tool.cli import main as cli
from lti_tool.registry import Deployment, PlatformSpec, register_platform
from tests.conftest import TEST_SECRET
from tests.support.mail_server import free_port, hanging_up_server, smtp_server
from tests.support.statements import statements_sent
from workers.celery_app import make_celery
from workers.runtime import mailer, sessions
from workers.tasks import deliver_reminders

LMS_URL = "https://lms.example/course/1/activity/7"


def _class(session, students: int, *, due_in: timedelta, with_email: bool = True, hindi: tuple[int, ...] = (),
           lms_url: str | None = LMS_URL) -> dict:
    """A course with `students` students (student-0...), an instructor, and an activity whose submissions close
    `due_in` from now; committed."""
    platform = register_platform(session, PlatformSpec("LMS", "https://lms.example", "c", "https://lms.example/a",
                                                       "https://lms.example/t", "https://lms.example/k",
                                                       deployment_ids=("d1",)))
    course = Course(platform_id=platform.id, context_id="c1", title="Writing 101")
    session.add(course)
    session.flush()
    deployment = session.scalars(select(Deployment)).one()
    link = ResourceLink(course_id=course.id, deployment_id=deployment.id, resource_link_id="rl-1", lms_url=lms_url)
    people = [Person(platform_id=platform.id, subject=f"student-{index}", name=f"Student {index}",
                     email=f"student{index}@uni.example" if with_email else None,
                     locale="hi" if index in hindi else "en") for index in range(students)]
    teacher = Person(platform_id=platform.id, subject="teacher", name="Teacher", email="teacher@uni.example")
    session.add_all([link, teacher, *people])
    session.flush()
    session.add_all([Enrollment(person_id=person.id, course_id=course.id, role=CourseRole.STUDENT) for person in people])
    session.add(Enrollment(person_id=teacher.id, course_id=course.id, role=CourseRole.STAFF))
    now = datetime.now(UTC)
    settings = default_settings("Essay", now - timedelta(days=3))
    due = now + due_in
    timeline = replace(settings.timeline, submission_due=due, review_opens=due, review_due=due + timedelta(days=7),
                       results_release=due + timedelta(days=8))
    assignment = create_assignment(session, course.id, replace(settings, timeline=timeline),
                                   resource_link_id=link.id)
    set_phase(session, assignment.id, None)  # opened: follows its dates
    session.commit()
    return {"assignment": assignment.id, "course": course.id, "people": [person.id for person in people],
            "teacher": teacher.id, "due": due}


def _hand_in(session, assignment_id: int, person_id: int) -> int:
    submission = Submission(assignment_id=assignment_id, author_id=person_id, pseudonym=f"P{person_id}")
    session.add(submission)
    session.flush()
    session.add(SubmissionVersion(submission_id=submission.id, number=1, text_html="<p>Work</p>"))
    session.commit()
    return submission.id


@pytest.fixture
def celery_for(database_url, tmp_path):
    """A Celery app (eager) whose settings send mail to `smtp_url`."""
    made = []

    def make(smtp_url: str | None):
        env = {"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
               "TOOL_BASE_URL": "https://peerlti.example"}
        celery = make_celery(Settings.from_env(env | ({"SMTP_URL": smtp_url} if smtp_url else {})))
        made.append(celery)
        return celery.tasks["peerlti.send_reminders"]

    yield make
    for celery in made:
        celery.close()


@pytest.fixture
def deliver_at(database_url, tmp_path):
    """One reminder run at a given moment, sending to `smtp_url`, as the beat's task runs it."""

    def deliver(smtp_url: str, now: datetime) -> dict[str, int]:
        env = {"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
               "TOOL_BASE_URL": "https://peerlti.example", "SMTP_URL": smtp_url}
        settings = Settings.from_env(env)
        sender = mailer(settings)
        try:
            return deliver_reminders(settings, sessions(settings), sender, now)
        finally:
            sender.close()

    return deliver


def _statuses(session) -> dict[str, int]:
    session.expire_all()
    return dict(session.execute(select(Reminder.status, func.count()).where(Reminder.kind != "summary")
                                .group_by(Reminder.status)).all())


def test_students_who_have_not_handed_in_get_one_reminder_each_and_staff_one_summary(session, celery_for):
    made = _class(session, 3, due_in=timedelta(hours=5))
    _hand_in(session, made["assignment"], made["people"][1])
    with smtp_server() as (url, received):
        send = celery_for(url)
        assert send.delay().get() == {"sent": 3, "failed": 0, "no_address": 0}  # two students and the teacher
        assert send.delay().get() == {"sent": 0, "failed": 0, "no_address": 0}  # a second beat sends nothing again

    assert sorted(received.recipients) == ["student0@uni.example", "student2@uni.example", "teacher@uni.example"]
    reminder = received.to("student0@uni.example")[0]
    assert reminder["Subject"] == "Reminder: hand in your work for Essay"
    body = reminder.get_content()
    assert "Hello Student 0," in body and "You have not handed in your work for Essay yet." in body
    assert f"Open the activity: {LMS_URL}" in body
    assert "peerlti.example" not in body  # never a tool address that would skip the launch
    # The 6-hour reminder, recorded sent, once.
    session.expire_all()
    rows = session.scalars(select(Reminder).where(Reminder.kind == "submission")).all()
    assert {(row.hours, row.status) for row in rows} == {(6, ReminderStatus.SENT)} and len(rows) == 2
    summary = received.to("teacher@uni.example")[0].get_content()
    assert "Submissions short of their reviews: 1 of 1" in summary
    assert "Flagged reviews waiting for staff: 0" in summary and "Grades needing attention: 0" in summary


def test_a_reminder_is_written_in_the_students_language(session, celery_for):
    made = _class(session, 2, due_in=timedelta(hours=30), hindi=(1,))
    with smtp_server() as (url, received):
        assert celery_for(url).delay().get()["sent"] == 3
    hindi = received.to("student1@uni.example")[0]
    english = received.to("student0@uni.example")[0]
    assert hindi["Content-Language"] == "hi" and english["Content-Language"] == "en"
    assert english["Subject"] == "Reminder: hand in your work for Essay"
    # The deadline is written as Hindi writes dates (Devanagari month and day names); English has none of them.
    assert any("\u0900" <= character <= "\u097f" for character in hindi.get_content())
    assert not any("\u0900" <= character <= "\u097f" for character in english.get_content())
    assert str(made["due"].year) in english.get_content()


def test_without_a_link_from_the_lms_the_email_says_to_open_the_activity_from_the_course(session, celery_for):
    _class(session, 1, due_in=timedelta(hours=5), lms_url=None)
    with smtp_server() as (url, received):
        celery_for(url).delay().get()
    body = received.to("student0@uni.example")[0].get_content()
    assert "Open the activity from your course Writing 101 in your learning platform." in body
    assert "http" not in body


def test_a_tool_address_given_as_the_lms_link_is_never_used(session, celery_for):
    _class(session, 1, due_in=timedelta(hours=5), lms_url="https://peerlti.example/links/1")
    with smtp_server() as (url, received):
        celery_for(url).delay().get()
    assert "https://peerlti.example" not in received.to("student0@uni.example")[0].get_content()


def test_no_reminder_before_its_hours_nor_after_the_deadline(session, celery_for):
    _class(session, 2, due_in=timedelta(hours=49))
    with smtp_server() as (url, received):
        send = celery_for(url)
        assert send.delay().get()["sent"] == 1  # the staff summary only
    assert received.recipients == ["teacher@uni.example"]


def test_a_student_who_opted_out_gets_no_reminder(session, celery_for):
    made = _class(session, 2, due_in=timedelta(hours=5))
    session.execute(update(Enrollment).where(Enrollment.person_id == made["people"][0]).values(reminders_off=True))
    session.commit()
    with smtp_server() as (url, received):
        celery_for(url).delay().get()
    assert "student0@uni.example" not in received.recipients and "student1@uni.example" in received.recipients


def test_a_student_without_an_address_is_skipped_and_counted_for_staff(session, celery_for):
    made = _class(session, 2, due_in=timedelta(hours=5), with_email=False)
    with smtp_server() as (url, received):
        assert celery_for(url).delay().get() == {"sent": 1, "failed": 0, "no_address": 2}
        assert celery_for(url).delay().get()["no_address"] == 0  # counted once, not again each beat
    assert received.recipients == ["teacher@uni.example"]
    assert delivery(session, made["assignment"]).no_address == 2


def test_a_refused_connection_is_retried_later_and_sent_once(session, celery_for):
    made = _class(session, 2, due_in=timedelta(hours=5))
    nobody = f"smtp://127.0.0.1:{free_port()}"
    assert celery_for(nobody).delay().get() == {"sent": 0, "failed": 3, "no_address": 0}
    assert _statuses(session) == {ReminderStatus.RETRY: 2}
    state = delivery(session, made["assignment"])
    assert state.waiting == 2 and "could not be reached" in state.last_error
    with smtp_server() as (url, received):
        send = celery_for(url)
        assert send.delay().get()["sent"] == 0  # not before its backoff
        session.execute(update(Reminder).values(next_attempt_at=datetime.now(UTC)))
        session.commit()
        assert send.delay().get()["sent"] == 3
        assert send.delay().get()["sent"] == 0
    assert sorted(received.recipients) == ["student0@uni.example", "student1@uni.example", "teacher@uni.example"]
    assert _statuses(session) == {ReminderStatus.SENT: 2}


def test_a_server_that_hangs_up_at_once_is_retried_then_given_up_and_shown_to_staff(session, celery_for):
    made = _class(session, 1, due_in=timedelta(hours=5))
    with hanging_up_server() as url:
        send = celery_for(url)
        for attempt in range(5):
            session.execute(update(Reminder).values(next_attempt_at=datetime.now(UTC)))
            session.commit()
            assert send.delay().get() == {"sent": 0, "failed": 2, "no_address": 0}, attempt
    assert _statuses(session) == {ReminderStatus.FAILED: 1}
    state = delivery(session, made["assignment"])
    assert state.failed == 1 and state.waiting == 0


def test_a_temporary_refusal_of_the_recipient_is_retried_and_a_permanent_one_is_not(session, celery_for):
    _class(session, 1, due_in=timedelta(hours=5))
    with smtp_server() as (url, received):
        received.mode = "refuse_recipient"
        assert celery_for(url).delay().get()["failed"] == 2
        assert _statuses(session) == {ReminderStatus.RETRY: 1}
        received.mode = "reject_recipient"
        session.execute(update(Reminder).values(next_attempt_at=datetime.now(UTC)))
        session.commit()
        celery_for(url).delay().get()
        assert _statuses(session) == {ReminderStatus.FAILED: 1}
        assert "550" in session.scalars(select(Reminder.last_error).where(Reminder.kind == "submission")).one()
    assert received.messages == []


def test_a_connection_lost_after_the_message_was_sent_is_never_sent_again(session, celery_for):
    _class(session, 1, due_in=timedelta(hours=5))
    with smtp_server() as (url, received):
        received.mode = "hang_up_after_data"
        celery_for(url).delay().get()
        session.execute(update(Reminder).values(next_attempt_at=datetime.now(UTC)))
        session.commit()
        received.mode = "accept"
        assert celery_for(url).delay().get()["sent"] == 0
    assert received.recipients.count("student0@uni.example") == 1
    assert _statuses(session) == {ReminderStatus.FAILED: 1}


def test_a_run_that_died_after_claiming_never_sends_and_its_rows_are_shown_failed(session, celery_for):
    made = _class(session, 2, due_in=timedelta(hours=5))
    claimed = claim_due(session, datetime.now(UTC))  # claimed and committed; the process then "dies"
    session.commit()
    assert len(claimed.ids) == 3
    with smtp_server() as (url, received):
        assert celery_for(url).delay().get()["sent"] == 0  # still "sending": not sent a second time
        session.execute(update(Reminder).values(claimed_at=datetime.now(UTC) - STALE_SENDING - timedelta(minutes=1)))
        session.commit()
        assert celery_for(url).delay().get()["sent"] == 0
    assert received.messages == []
    assert _statuses(session) == {ReminderStatus.FAILED: 2}
    assert delivery(session, made["assignment"]).failed == 2


def test_without_smtp_nothing_is_claimed_or_sent(session, celery_for):
    _class(session, 2, due_in=timedelta(hours=5))
    assert celery_for(None).delay().get() == {"sent": 0, "failed": 0, "no_address": 0}
    assert session.scalar(select(func.count()).select_from(Reminder)) == 0


def test_the_claims_take_the_same_number_of_statements_for_10_and_100_students(session, engine):
    counts = []
    for size in (10, 100):
        made = _class(session, size, due_in=timedelta(hours=5))
        with statements_sent(engine) as seen:
            claimed = claim_due(session, datetime.now(UTC))
            session.commit()
        assert len(claimed.ids) == size + 1
        counts.append(len(seen))
        # The next class starts from an empty database.
        session.execute(Reminder.__table__.delete())
        session.execute(Enrollment.__table__.delete())
        session.execute(Person.__table__.delete())
        session.execute(Course.__table__.delete())
        session.commit()
        assert made
    assert counts[0] == counts[1]



@pytest.mark.parametrize("hours, extension_reads", [([], 0), ([6], 1)])
def test_students_own_dates_are_read_only_for_an_activity_that_sends_reminders(session, engine, hours,
                                                                               extension_reads):
    made = _class(session, 3, due_in=timedelta(hours=5))
    session.execute(update(Assignment).where(Assignment.id == made["assignment"]).values(reminder_hours=hours))
    session.commit()
    with statements_sent(engine) as seen:
        claimed = claim_due(session, datetime.now(UTC), summaries=False)
        session.commit()
    assert len(claimed.ids) == (3 if hours else 0)
    assert sum("extensions" in statement for statement in seen) == extension_reads

def test_the_command_sends_what_is_due_without_a_broker_and_refuses_without_smtp(session, database_url, tmp_path):
    _class(session, 1, due_in=timedelta(hours=5))
    env = {"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
           "CELERY_BROKER_URL": ""}
    refused = CliRunner().invoke(cli, ["reminders", "send"], env=env)
    assert refused.exit_code == 1 and "SMTP_URL is not set" in refused.output
    with smtp_server() as (url, received):
        result = CliRunner().invoke(cli, ["reminders", "send"], env=env | {"SMTP_URL": url})
    assert result.exit_code == 0, result.output
    assert "'sent': 2" in result.output
    assert sorted(received.recipients) == ["student0@uni.example", "teacher@uni.example"]


def test_an_extended_student_is_reminded_before_their_own_deadline_not_the_classs(session):
    made = _class(session, 2, due_in=timedelta(hours=5))
    extended, other = made["people"]
    own_due = made["due"] + timedelta(days=3)
    grant_extension(session, ExtensionRequest(made["assignment"], Step.SUBMISSION, "Illness", person_id=extended,
                                              until=own_due), made["teacher"], datetime.now(UTC))
    session.commit()
    claim_due(session, datetime.now(UTC), summaries=False)
    session.commit()
    assert session.scalars(select(Reminder.person_id).where(Reminder.kind == "submission")).all() == [other]
    claim_due(session, own_due - timedelta(hours=6), summaries=False)
    session.commit()
    reminded = session.execute(select(Reminder.hours, Reminder.deadline).where(Reminder.person_id == extended)).all()
    assert reminded == [(6, own_due)]


def _reminded(session, person_id: int) -> list[tuple[int, datetime]]:
    session.expire_all()
    return sorted(tuple(row) for row in session.execute(select(Reminder.hours, Reminder.deadline).where(
        Reminder.person_id == person_id, Reminder.kind == "submission")).all())


def test_an_extension_granted_after_a_reminder_brings_the_reminders_of_the_new_date_and_no_duplicate(session):
    made = _class(session, 2, due_in=timedelta(hours=30))
    extended, other = made["people"]
    class_due = made["due"]
    now = datetime.now(UTC)
    claim_due(session, now, summaries=False)
    session.commit()
    assert _reminded(session, extended) == _reminded(session, other) == [(48, class_due)]

    own_due = class_due + timedelta(days=3)
    grant_extension(session, ExtensionRequest(made["assignment"], Step.SUBMISSION, "Illness", person_id=extended,
                                              until=own_due), made["teacher"], now)
    # The other student's submission date does not move: an extension of their reviewing only.
    grant_extension(session, ExtensionRequest(made["assignment"], Step.REVIEW, "Travel", person_id=other,
                                              extra=timedelta(days=1)), made["teacher"], now)
    session.commit()
    claim_due(session, now + timedelta(minutes=1), summaries=False)
    session.commit()
    assert _reminded(session, other) == [(48, class_due)]  # the same deadline: not reminded twice
    assert _reminded(session, extended) == [(48, class_due)]  # their own deadline is not near yet

    for moment in (own_due - timedelta(hours=30), own_due - timedelta(hours=29)):  # two beats of the new 48 hours
        claim_due(session, moment, summaries=False)
        session.commit()
    assert _reminded(session, extended) == [(48, class_due), (48, own_due)]
    claim_due(session, own_due - timedelta(hours=5), summaries=False)
    session.commit()
    assert _reminded(session, extended) == [(6, own_due), (48, class_due), (48, own_due)]
    assert _reminded(session, other) == [(48, class_due)]


def test_two_beats_claiming_at_once_claim_each_reminder_once(session, engine):
    made = _class(session, 30, due_in=timedelta(hours=5))
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    start = threading.Barrier(2)
    claimed: list[list[int]] = []

    def beat() -> None:
        with factory() as own:
            start.wait()
            found = claim_due(own, now)
            own.commit()
            claimed.append(found.ids)

    beats = [threading.Thread(target=beat) for _ in range(2)]
    for each in beats:
        each.start()
    for each in beats:
        each.join()
    first, second = claimed
    assert len(first) + len(second) == 31 and not set(first) & set(second)  # 30 students and the teacher
    rows = session.scalars(select(Reminder.person_id).where(Reminder.assignment_id == made["assignment"])).all()
    assert sorted(rows) == sorted([*made["people"], made["teacher"]])


def _review(session, made: dict, submission_id: int, reviewer: int) -> None:
    session.add(Review(assignment_id=made["assignment"], submission_id=submission_id, reviewer_id=reviewer,
                       kind=ReviewKind.PEER, status=ReviewStatus.SUBMITTED, submitted_at=datetime.now(UTC)))
    session.commit()


def test_the_summary_names_the_work_that_ended_reviewing_without_a_review(session, deliver_at):
    made = _class(session, 3, due_in=timedelta(hours=5))
    works = [_hand_in(session, made["assignment"], person) for person in made["people"]]
    _review(session, made, works[1], made["people"][0])
    review_due = made["due"] + timedelta(days=7)
    with smtp_server() as (url, received):
        # The day before the review deadline, the work still waiting for its reviews is not named.
        deliver_at(url, review_due - timedelta(days=1))
        deliver_at(url, review_due + timedelta(hours=1))
    before, after = (message.get_content() for message in received.to("teacher@uni.example"))
    assert "no review at all" not in before
    assert "These submissions have no review at all: Student 0, Student 2." in after


def test_the_summary_names_one_unreviewed_work_in_the_singular_in_the_readers_language(session, deliver_at):
    made = _class(session, 2, due_in=timedelta(hours=5))
    works = [_hand_in(session, made["assignment"], person) for person in made["people"]]
    _review(session, made, works[0], made["people"][1])
    hindi = Person(platform_id=session.get(Course, made["course"]).platform_id, subject="ta", name="TA",
                   email="ta@uni.example", locale="hi")
    session.add(hindi)
    session.flush()
    session.add(Enrollment(person_id=hindi.id, course_id=made["course"], role=CourseRole.STAFF))
    session.commit()
    with smtp_server() as (url, received):
        deliver_at(url, made["due"] + timedelta(days=7, hours=1))
    assert "This submission has no review at all: Student 1." in received.to("teacher@uni.example")[0].get_content()
    in_hindi = received.to("ta@uni.example")[0].get_content()
    assert "Student 1" in in_hindi and "This submission has no review at all" not in in_hindi


def test_the_summary_takes_the_same_number_of_statements_for_12_and_120_students_after_reviewing(session, engine):
    counts = []
    for size in (12, 120):
        made = _class(session, size, due_in=timedelta(hours=5))
        for person in made["people"]:
            _hand_in(session, made["assignment"], person)
        with statements_sent(engine) as seen:
            claimed = claim_due(session, made["due"] + timedelta(days=7, hours=1))
            session.commit()
        assert len(claimed.ids) == 1  # the summary: every deadline has passed
        details = session.scalars(select(Reminder.details)).one()
        assert len(details["unreviewed"]) == size
        counts.append(len(seen))
        session.execute(Reminder.__table__.delete())
        session.execute(Submission.__table__.delete())
        session.execute(Enrollment.__table__.delete())
        session.execute(Person.__table__.delete())
        session.execute(Course.__table__.delete())
        session.commit()
    assert counts[0] == counts[1]
