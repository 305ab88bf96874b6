"""The student's home for an activity: what to do next and by when, their progress, and their results explained."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from flask import current_app, render_template

from assessment.assignment_settings import AllocationMode
from assessment.db import utcnow
from assessment.file_checks import checks_to_show, is_abandoned, refusal_of
from assessment.models import Assignment, FileCheck, FileCheckStatus
from assessment.phases import Phase
from assessment.reminders import DueReminder, Owing, deadlines, due_reminders
from assessment.student_overview import StudentOverview, student_overview
from assessment.student_progress import StepKind, StepState
from assessment.team_reviews import reviews_by_team
from lti_tool.database import db
from lti_tool.durations import time_left
from lti_tool.enqueue import enqueue
from lti_tool.forms import ActionForm, ReminderEmailsForm, SubmissionForm
from lti_tool.views.course import LaunchView
from lti_tool.views.feedback import labelled_for_author


def home(view: LaunchView, form: SubmissionForm | None = None) -> str:
    if view.assignment is None:
        return render_template("student/not_set_up.html", view=view)
    now = utcnow()
    assignment = view.assignment
    overview = student_overview(db(), assignment, view.person.id, now)
    checks = checks_to_show(db(), overview.submission) if overview.open_checks else []
    if resume_abandoned(checks):
        # A check ran again here, in its own transaction, and may have made a version: the page shows the work as it
        # is now, not as this request first read it.
        db().expire_all()
        overview = student_overview(db(), assignment, view.person.id, now)
        checks = checks_to_show(db(), overview.submission) if overview.open_checks else []
    received = labelled_for_author(assignment, overview.received)
    if form is None:
        form = SubmissionForm(formdata=None)
        if checks and checks[0].status is FileCheckStatus.REFUSED:
            # The text handed in with a refused file was not kept as a version: it waits in the form, to send again.
            form.text.data = checks[0].text_html
    return render_template(
        "student/home.html",
        view=view,
        assignment=assignment,
        overview=overview,
        progress=overview.progress,
        submission=overview.submission,
        received=received,
        review_labels={review.id: label for label, review in received},
        checks=checks,
        refusal_of=refusal_of,
        form=form,
        action_form=ActionForm(),
        team=(overview.team.team, overview.team.members) if overview.team is not None else None,
        time_left=partial(time_left, now=now),
        now=now,
        reminders=home_reminders(assignment, overview, now),
        bonus_offer=bonus_offered(assignment, overview),
        mail_on=current_app.config["PEERLTI_SETTINGS"].mail is not None,
        reminder_form=ReminderEmailsForm(formdata=None),
    )


def bonus_offered(assignment: Assignment, overview: StudentOverview) -> bool:
    """Whether the home offers an extra review: reviewing is open in queue mode and the student's reviews are done.
    The offer costs the page no query; whether work is still short is found when they take it."""
    review = overview.progress.step(StepKind.REVIEW)
    # The student's own phase: an extended reviewer may still be reviewing after the class has moved on.
    # Teams that write one review each take no extra reviews (assessment.team_reviews).
    return (overview.phase is Phase.REVIEW and assignment.allocation_mode is AllocationMode.QUEUE
            and not reviews_by_team(assignment) and review is not None and review.state is StepState.DONE)


def home_reminders(assignment: Assignment, overview: StudentOverview, now: datetime) -> list[DueReminder]:
    """The reminders this student has now, by the rules the e-mails follow (assessment.reminders)."""
    review = overview.progress.step(StepKind.REVIEW)
    owing = Owing(handed_in=bool(overview.submission and overview.submission.latest),
                  calibrated=overview.calibration.done or not assignment.calibration_examples_required,
                  owes_reviews=review is not None and review.state in (StepState.CURRENT, StepState.UPCOMING))
    timeline = overview.own_dates.timeline if overview.own_dates is not None else assignment.timeline
    steps = deadlines(timeline, assignment.calibration_examples_required > 0)
    return due_reminders(steps, tuple(assignment.reminder_hours or ()), now, owing)


def resume_abandoned(checks: list[FileCheck]) -> bool:
    """Without a broker there is no scheduled sweep: a check the web process died in the middle of is run again when
    its author next looks at it (with a broker, the sweep does it). Whether any was run."""
    celery = current_app.extensions["peerlti.celery"]
    stale = timedelta(seconds=current_app.config["PEERLTI_SETTINGS"].file_checks.stale_seconds)
    resumed = False
    if celery.conf.task_always_eager:
        for check in checks:
            if is_abandoned(check, utcnow(), stale):
                enqueue("peerlti.check_file", check.id)
                resumed = True
    return resumed
