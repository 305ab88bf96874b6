"""The slow and the late, in headless Chromium through the sandbox LMS and its mail: a student with an extension, a
student who enrols once reviewing has started and a student who forgets to review all end with their work reviewed
and a grade in the gradebook; reminders reach the sandbox's inboxes; staff see the coverage and fill its gaps."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from lti_tool.cli import main as peerlti
from sandbox.course import DEMO_COURSE
from sandbox.mail import start_mail_server
from sandbox.runtime import EXTENSION_KEY
from sandbox.store import STATE_FILE_NAME
from tests.conftest import TEST_SECRET, make_settings
from tests.support.in_browser import (
    INSTRUCTOR,
    Evidence,
    Person,
    create_at_link,
    gradebook_scores,
    hand_in,
    new_browser_page,
    open_activity,
    open_feedback,
    release_grades,
    review_peers,
    run_grading,
    settle_doubtful_grades,
)
from tests.support.lms import RunningLMS, start_lms
from tests.support.mail_server import free_port

pytestmark = pytest.mark.e2e
LINK = DEMO_COURSE.resource_links[0].id
TITLE = "Essay 2: Evidence"
NAMES = {person.user_id: person.name for person in DEMO_COURSE.learners}
ON_TIME = ["student-1", "student-3", "student-4", "student-5"]
EXTENDED, FORGETFUL, LATE = "student-2", "student-6", "student-7"
LATE_NAME = "Grace Hopper"
EXTENSION_REASON = "In hospital for the week the essay was due."


@pytest.fixture
def lms_with_mail(session, tmp_path, database_url, sandbox_instance) -> Iterator[tuple[RunningLMS, dict[str, str]]]:
    """The tool and the sandbox as `make run` starts them: the sandbox's SMTP server receives the tool's mail (shown
    at /mail), and each launch names the link's page in the LMS for the reminders' links. A gradebook of its own.

    With the running LMS, the environment `peerlti reminders send` runs in."""
    instance = tmp_path / "sandbox-with-mail"
    shutil.copytree(sandbox_instance, instance, ignore=shutil.ignore_patterns(STATE_FILE_NAME))
    smtp_port = free_port()
    env = {"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
           "SECRET_KEY": TEST_SECRET, "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
           "CELERY_BROKER_URL": None}  # eager, as in `make run`
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, SMTP_URL=env["SMTP_URL"]),
                        instance, sandbox_options={"activity_urls": True})
    sandbox_app = running.sandbox.app
    mail_server = start_mail_server(sandbox_app.extensions[EXTENSION_KEY].mailbox, "127.0.0.1", smtp_port)
    sandbox_app.config["SANDBOX_SMTP_PORT"] = smtp_port
    yield running, env | {"TOOL_BASE_URL": running.tool.url}
    mail_server.stop()
    running.stop()


@pytest.fixture
def evidence(tmp_path) -> Evidence:
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return Evidence(directory)


def test_an_extended_a_late_and_a_forgetful_student_all_end_reviewed_and_graded(chromium, lms_with_mail, evidence):
    lms, reminder_env = lms_with_mail
    ada = Person(INSTRUCTOR, new_browser_page(chromium), lms, evidence)
    lab = new_browser_page(chromium)
    students = {user: Person(user, lab, lms, evidence) for user in NAMES}

    # The class started ten minutes ago, in the clock of the tool (and of the sandbox, in this process): the dates are
    # given to the minute, and everyone but the late student must have been enrolled before reviewing opens below.
    with freeze_time(datetime.now(UTC) - timedelta(minutes=10), tick=True, real_asyncio=True):
        create_at_link(ada, LINK, TITLE, "100")
        set_dates(ada, review_opens=datetime.now(UTC) + timedelta(days=1),
                  more={"Reviews each submission needs": "2", "Reviews each student must do": "2",
                        "Points each optional bonus review adds to the reviewing grade (0: none)": "1"},
                  ticked=("Accept late submissions",))
        _add_criterion(ada)
        open_activity(ada, LINK)
        for number, user in enumerate([*ON_TIME, FORGETFUL], start=1):
            hand_in(students[user], f"Essay {number}: evidence makes an argument, anecdotes do not.", LINK)
        # The extended student opens the activity, too ill to write; staff give them two more days from their row.
        students[EXTENDED].launch(LINK)
        give_extension(ada, NAMES[EXTENDED], hours="48", reason=EXTENSION_REASON)

    # Reviewing opens (the dates move on as the days would).
    opened = _this_minute()
    set_dates(ada, review_opens=opened)
    for user in ON_TIME:
        students[user].launch(LINK)
        review_peers(students[user], 2, ["2"], comment="Cite the study you rely on.")

    # A student enrols in the course now, hands in as the late policy allows, and is served work to review.
    assert enrol_on_roster(ada, LATE_NAME, "grace.hopper@example.edu") == LATE
    late = students[LATE] = Person(LATE, lab, lms, evidence)
    tool = late.launch(LINK)
    tool.get_by_label("Your answer").fill("Essay 7: written in the week I joined the course.")
    tool.get_by_role("button", name="Submit").click()
    tool.get_by_text("Submitted: version 1 (late).").wait_for()
    late.seen("late-arrival-handed-in")
    review_peers(late, 2, ["3"], comment="Cite the study you rely on.")

    # Reminders go out as `make run` sends them, and arrive in the sandbox's inboxes: the forgetful student owes
    # reviews, the extended student owes work by their own date; whoever has done their part gets nothing.
    result = CliRunner().invoke(peerlti, ["reminders", "send"], env=reminder_env, catch_exceptions=False)
    assert result.exit_code == 0 and "reminders:" in result.output, result.output
    inboxes = read_inboxes(ada)
    assert [mail["subject"] for mail in inboxes[FORGETFUL]] == [f"Reminder: finish your reviews for {TITLE}"]
    # The extended student's reminder names their own date, two days after the class's.
    [own] = [mail["body"] for mail in inboxes[EXTENDED] if mail["subject"] == f"Reminder: hand in your work for {TITLE}"]
    due = opened + timedelta(hours=48)
    assert f"Submissions close on {due:%a, %b} {due.day}, {due:%Y, %H:%M} UTC." in own, own
    assert all(not inboxes[user] for user in [*ON_TIME, LATE]), inboxes
    # Staff get the day's summary: the coverage, with the late student's work, not reviewed yet, counted short.
    [summary] = inboxes[INSTRUCTOR]
    assert summary["subject"] == f"Daily summary for {TITLE}", summary
    assert "Submissions short of their reviews: 1 of 6" in summary["body"], summary["body"]
    reminder = inboxes[FORGETFUL][0]["body"]
    assert reminder.startswith(f"Hello {NAMES[FORGETFUL]},") and lms.sandbox.url in reminder, reminder
    assert lms.tool.url not in reminder, reminder
    ada.seen("sandbox-inboxes")
    # The next run (`make run` sends every minute) sends nobody the same reminder again.
    CliRunner().invoke(peerlti, ["reminders", "send"], env=reminder_env, catch_exceptions=False)
    assert read_inboxes(ada) == inboxes

    # The extended student hands in within their own date (on time for them) and reviews.
    extended = students[EXTENDED]
    tool = extended.launch(LINK)
    tool.get_by_label("Your answer").fill("Essay 2: written after my stay in hospital.")
    tool.get_by_role("button", name="Submit").click()
    tool.get_by_text("Submitted: version 1.").wait_for()
    review_peers(extended, 2, ["2"], comment="Cite the study you rely on.")

    # Staff see the late arrival marked, and the work short of its reviews by name: the late student's (reviewed
    # once, by the extended student; nobody else was left to review it) and the extended student's, handed in last.
    ada.launch(LINK)
    assert ada.tool.locator("#student-table .late-arrival").count() == 1
    assert LATE_NAME in ada.tool.locator("#student-table tr", has=ada.tool.locator(".late-arrival")).inner_text()
    extended_row = ada.tool.locator("#student-table tr", has=ada.tool.locator(".extended")).inner_text()
    assert NAMES[EXTENDED] in extended_row and "own dates until" in extended_row, extended_row
    ada.follow(ada.tool.get_by_role("link", name="See the work short of reviews"))
    assert short_work(ada, "#short-work") == {LATE_NAME: "1 of 2", NAMES[EXTENDED]: "0 of 2"}
    ada.seen("coverage")

    # A student who did their reviews is offered a bonus review and takes it: it serves work short of reviews.
    bonus = students["student-1"]
    tool = bonus.launch(LINK)
    bonus.follow(tool.locator("#bonus-review").get_by_role("button", name="Review one more submission"))
    tool.locator("#submission").wait_for()
    tool.locator('fieldset.criterion input[type=radio][value="2"]').first.check()
    tool.locator("main form textarea").first.fill("One more source would settle it.")
    bonus.follow(tool.get_by_role("button", name="Submit review"))
    tool.get_by_text("Review submitted. Thank you!").wait_for()
    ada.launch(LINK)
    ada.follow(ada.tool.get_by_role("link", name="See the work short of reviews"))
    assert short_work(ada, "#short-work") == {LATE_NAME: "1 of 2", NAMES[EXTENDED]: "1 of 2"}

    # The class's review deadline passes: what is still short and due goes to the backup queue, and staff assess it.
    # The extended student's work waits outside it while their own dates run: reviewers with an extension still review.
    set_dates(ada, review_opens=_this_minute() - timedelta(days=1))
    ada.launch(LINK)
    ada.follow(ada.tool.get_by_role("link", name="Open the backup queue"))
    backup = short_work(ada, "#backup-queue")
    assert backup == {LATE_NAME: "1 of 2"}, backup
    assert short_work(ada, "#still-open") == {NAMES[EXTENDED]: "1 of 2"}
    ada.seen("backup-queue")
    assess_from_backup_queue(ada, backup)

    # Grading: the class without the extended student, whose own dates still run.
    run_grading(ada, students=6)
    assert ada.tool.locator("#grades-waiting").count() == 1
    assert NAMES[EXTENDED] not in reviews_received(ada)
    settle_doubtful_grades(ada, "Checked by hand: the reviews agree.")
    release_grades(ada, students=6)
    gradebook = gradebook_scores(ada, expected=6)
    assert sorted(gradebook) == sorted([*ON_TIME, FORGETFUL, LATE]), gradebook
    # The forgetful student's work was reviewed and graded; their missed reviews cost them the reviewing share.
    assert gradebook[FORGETFUL][0] < gradebook["student-1"][0], gradebook
    ada.seen("gradebook-without-the-extension")

    # The extended student's date passes: their work, still short, joins the backup queue and staff assess it; their
    # grade is computed and released, and reaches the gradebook.
    ada.launch(LINK)
    set_dates(ada, review_opens=_this_minute() - timedelta(hours=49))
    ada.launch(LINK)
    ada.follow(ada.tool.get_by_role("link", name="Open the backup queue"))
    backup = short_work(ada, "#backup-queue")
    assert backup == {NAMES[EXTENDED]: "1 of 2"}, backup
    assess_from_backup_queue(ada, backup)
    run_grading(ada, students=7)
    assert ada.tool.locator("#grades-waiting").count() == 0
    # Each of the three has their work reviewed: the forgetful student's by two peers, the late and the extended
    # students' by one peer and by staff from the backup queue.
    received = reviews_received(ada)
    assert [received[name] for name in (NAMES[FORGETFUL], LATE_NAME, NAMES[EXTENDED])] == [2, 1, 1], received
    settle_doubtful_grades(ada, "Checked by hand: the reviews agree.")
    release_grades(ada, students=None)
    gradebook = gradebook_scores(ada, expected=7)
    assert sorted(gradebook) == sorted([*NAMES, LATE]) and gradebook[EXTENDED][0] > 0, gradebook
    assert all(progress == "FullyGraded" for _, progress in gradebook.values()), gradebook
    ada.seen("gradebook-with-the-extension")
    # Each of the three reads on their own page the grade the gradebook got.
    for user in (EXTENDED, LATE, FORGETFUL):
        home = students[user].launch(LINK)
        shown = home.locator("#grade .grade-final").inner_text()
        assert float(shown.split(" out of ")[0]) == gradebook[user][0], (user, shown, gradebook[user])
    # And the extended student reads the reviews their work received, as the class did once its grades were out.
    students[EXTENDED].launch(LINK)
    feedback = open_feedback(students[EXTENDED])
    assert feedback.locator("section.card", has_text="One more source would settle it.").count() == 1


def assess_from_backup_queue(instructor: Person, names: dict[str, str]) -> None:
    """Staff take each named work from the backup queue and assess it, until the queue is empty."""
    for number, name in enumerate(names):
        if number:  # an assessment done leads back to the dashboard
            instructor.follow(instructor.tool.get_by_role("link", name="Open the backup queue"))
        row = instructor.tool.locator("#backup-queue tbody tr", has_text=name)
        instructor.follow(row.get_by_role("button", name="Take it and assess as staff"))
        instructor.tool.locator('fieldset.criterion input[type=radio][value="2"]').first.check()
        instructor.seen()
        instructor.follow(instructor.tool.get_by_role("button", name="Submit review"))
        instructor.tool.get_by_text("Review submitted. Thank you!").wait_for()
    instructor.follow(instructor.tool.get_by_role("link", name="Open the backup queue"))
    assert short_work(instructor, "#backup-queue") == {}


def _this_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def set_dates(instructor: Person, review_opens: datetime, more: dict[str, str] | None = None,
              ticked: tuple[str, ...] = ()) -> None:
    """The activity's dates around the moment reviewing opens: three days to hand in before it, a day of reviewing
    (late work taken until its end), results two days later (in UTC, to the minute, as the settings form takes them)."""
    opens = review_opens.replace(second=0, microsecond=0)
    dates = {"submission_opens": opens - timedelta(days=3), "submission_due": opens, "review_opens": opens,
             "review_due": opens + timedelta(days=1), "late_until": opens + timedelta(days=1),
             "results_release": opens + timedelta(days=3)}
    tool = instructor.tool
    instructor.navigate("Settings")
    for field, when in dates.items():
        tool.locator(f"#{field}").fill(when.strftime("%Y-%m-%dT%H:%M"))
    for label, value in (more or {}).items():
        tool.get_by_label(label).fill(value)
    for label in ticked:
        tool.get_by_label(label).check()
    instructor.seen()
    tool.get_by_role("button", name="Save settings").click()
    tool.get_by_text("Settings saved.").wait_for()


def _add_criterion(instructor: Person) -> None:
    instructor.navigate("Rubric")
    instructor.tool.get_by_label("Criterion").fill("Evidence")
    instructor.tool.get_by_label("Comment prompt (optional)").fill("What evidence is missing?")
    instructor.tool.get_by_role("button", name="Save criterion").click()
    instructor.tool.get_by_text("Criterion saved.").wait_for()


def give_extension(instructor: Person, name: str, hours: str, reason: str) -> None:
    """From the student's row on the dashboard, extra hours after the class's submission deadline, with a reason."""
    tool = instructor.launch(LINK)
    row = tool.locator("#student-table tbody tr", has_text=name)
    instructor.follow(row.get_by_role("link", name="Extension"))
    tool.get_by_label("Step").select_option("submission")
    tool.get_by_label("Extra hours after the class deadline").fill(hours)
    tool.get_by_label("Reason (kept, shown to staff only)").fill(reason)
    instructor.seen()
    instructor.follow(tool.get_by_role("button", name="Give the extension"))
    tool.get_by_text("Extension given.").wait_for()
    assert reason in tool.locator("#extensions", has_text=name).inner_text()
    instructor.seen("extension-given")


def enrol_on_roster(person: Person, name: str, email: str) -> str:
    """Enrol a student on the sandbox's roster page, as the registrar does; their user id in the LMS."""
    page = person.page
    page.goto(f"{person.lms.sandbox.url}/roster")
    given, family = name.split(" ", 1)
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Enrol").click()
    row = page.locator("tbody tr", has_text=email)
    row.wait_for()
    person.seen()
    return row.locator("code").first.inner_text()


def read_inboxes(person: Person) -> dict[str, list[dict[str, str]]]:
    """The sandbox's Mail page: each person's inbox (by user id), newest first, each mail's subject and body."""
    page = person.page
    page.goto(f"{person.lms.sandbox.url}/mail")
    inboxes = {}
    for section in page.locator("section.inbox:not(#inbox-others)").all():
        user = section.get_attribute("id").removeprefix("inbox-")
        inboxes[user] = [{"subject": mail.locator("summary strong").inner_text(),
                          "body": mail.locator("pre").text_content()} for mail in section.locator("details").all()]
    person.seen()
    return inboxes


def short_work(instructor: Person, section: str) -> dict[str, str]:
    """The work a coverage page lists as short of its reviews: the author's name, and the reviews it has of k."""
    rows = instructor.tool.locator(f"{section} tbody tr").filter(has=instructor.tool.locator("a"))
    return {row.locator("td").first.inner_text(): row.locator("td").nth(1).inner_text() for row in rows.all()}


def reviews_received(instructor: Person) -> dict[str, int]:
    """The peer reviews each graded student's work received, by name, from the Grades page."""
    rows = instructor.tool.locator("#grades tbody tr").all()
    return {row.locator("td").first.inner_text(): int(row.locator("td").nth(2).inner_text()) for row in rows}
