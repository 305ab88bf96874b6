"""The staff dashboard of an assignment: timeline, progress, queues, the student table, charts and CSV exports."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from babel.numbers import get_decimal_symbol
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale, gettext, lazy_gettext, ngettext

from assessment.db import utcnow
from assessment.grading import WIDE_UNCERTAINTY_SHARE
from assessment.grading_advice import grading_advice
from assessment.models import Assignment, PostingStatus, ReviewKind, ReviewStatus
from assessment.phases import Phase
from assessment.progress import (
    FILTERS,
    SORTS,
    Dashboard,
    GradeState,
    ReviewerStats,
    ReviewRecord,
    StudentRow,
    arrange,
    dashboard,
    review_records,
    student_rows,
    triage,
)
from assessment.reminder_outbox import delivery
from assessment.review_coverage import CoverageReport, coverage_report
from assessment.services import rubric_lock_reason
from assessment.student_dates import dates_by_student
from lti_tool import charts
from lti_tool.database import db
from lti_tool.forms import ActionForm, PhaseForm
from lti_tool.spreadsheet import csv_lines, csv_response, file_name, number_cell, time_cell
from lti_tool.templating import stored_message
from lti_tool.views.course import LaunchView, staff_view

bp = Blueprint("dashboard", __name__)

QUEUE_LENGTH = 5  # items of each queue shown on the dashboard; the full queue is one click away
PAGE_SIZE = 100  # students per page of the table: a page of a large class stays quick to render and to read
REVIEWERS_LISTED = 20  # reviewers furthest from the grades, listed under the chart; every review is in the export
MAX_SEARCH = 100

PHASES = {
    Phase.SETUP: lazy_gettext("setup"),
    Phase.SUBMISSION: lazy_gettext("submission"),
    Phase.CALIBRATION: lazy_gettext("calibration"),
    Phase.REVIEW: lazy_gettext("review"),
    Phase.GRADING: lazy_gettext("grading"),
    Phase.RELEASED: lazy_gettext("released"),
}
SORT_LABELS = {
    "name": lazy_gettext("Student"),
    "handed_in": lazy_gettext("Handed in"),
    "late": lazy_gettext("Lateness"),
    "calibration": lazy_gettext("Calibration"),
    "reviews_done": lazy_gettext("Reviews done"),
    "received": lazy_gettext("Received"),
    "grade": lazy_gettext("Grade"),
    "uncertainty": lazy_gettext("Uncertainty"),
    "passback": lazy_gettext("Gradebook"),
}
FILTER_LABELS = {
    "all": lazy_gettext("Everyone"),
    "not_handed_in": lazy_gettext("Nothing handed in"),
    "late": lazy_gettext("Handed in late"),
    "calibrating": lazy_gettext("Calibration not finished"),
    "owes_reviews": lazy_gettext("Still owe reviews"),
    "under_reviewed": lazy_gettext("Work short of reviews"),
    "attention": lazy_gettext("Grade needs attention"),
    "flagged": lazy_gettext("Open flag on their work"),
    "passback_failed": lazy_gettext("Refused by the gradebook"),
    "not_released": lazy_gettext("Grade not released"),
}
PASSBACK_LABELS = {
    PostingStatus.PENDING: lazy_gettext("waiting to send"),
    PostingStatus.IN_FLIGHT: lazy_gettext("sending"),
    PostingStatus.POSTED: lazy_gettext("in the gradebook"),
    PostingStatus.FAILED: lazy_gettext("refused"),
}
# The grading run names its doubts in plain words; they are shown in the reader's language.
ATTENTION_LABELS = {
    "wide uncertainty": lazy_gettext("wide uncertainty"),
    "wide disagreement": lazy_gettext("wide disagreement"),
    "too few reviews": lazy_gettext("too few reviews"),
    "graded from fewer reviews": lazy_gettext("graded from fewer reviews"),
    "open flag": lazy_gettext("open flag"),
    # Teammates' ratings (assessment.teammate_warnings): they hold a team member's grade until staff look.
    "possible free rider": lazy_gettext("possible free rider"),
    "rates themselves far above their teammates' view": lazy_gettext("rates themselves far above their teammates' view"),
    "possible manipulation": lazy_gettext("possible manipulation"),
    "two camps": lazy_gettext("two camps"),
}
KIND_LABELS = {ReviewKind.PEER: lazy_gettext("peer"), ReviewKind.SELF: lazy_gettext("self"),
               ReviewKind.STAFF: lazy_gettext("staff")}
STATUS_LABELS = {ReviewStatus.ASSIGNED: lazy_gettext("assigned"), ReviewStatus.SUBMITTED: lazy_gettext("submitted"),
                 ReviewStatus.EXPIRED: lazy_gettext("expired"), ReviewStatus.REMOVED: lazy_gettext("removed")}


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value)


@bp.app_template_filter("signed")
def signed(value: float | None) -> str:
    """A difference with its sign always shown (a true minus sign for a negative one): +1.5, 0."""
    if value is None:
        return "—"
    rounded = round(value, 2)
    text = format_decimal(abs(rounded))
    return f"+{text}" if rounded > 0 else f"\u2212{text}" if rounded < 0 else text


@dataclass(frozen=True)
class TableRequest:
    """How the student table is to be shown, read from the query string; unknown values fall back to defaults."""

    sort: str = "name"
    descending: bool = False
    keep: str = "all"
    search: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> TableRequest:
        sort = args.get("sort", "name")
        keep = args.get("filter", "all")
        page = args.get("page", "1")
        return cls(sort=sort if sort in SORTS else "name", descending=args.get("dir") == "desc",
                   keep=keep if keep in FILTERS else "all", search=(args.get("q") or "").strip()[:MAX_SEARCH],
                   page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1)

    def link(self, link_id: int, **changes: object) -> str:
        """The dashboard's address showing the table with these changes, back at the table."""
        wanted = {"sort": self.sort, "dir": "desc" if self.descending else "asc", "filter": self.keep,
                  "q": self.search, "page": 1} | changes
        query: dict[str, Any] = {key: value for key, value in wanted.items() if value and value != DEFAULTS[key]}
        return url_for("landing.resource_link", link_id=link_id, **query) + "#students"

    def sort_link(self, link_id: int, key: str) -> str:
        """Sorting by a column again turns its order around."""
        again = key == self.sort and not self.descending
        return self.link(link_id, sort=key, dir="desc" if again else "asc")


DEFAULTS: dict[str, object] = {"sort": "name", "dir": "asc", "filter": "all", "q": "", "page": 1}


@dataclass(frozen=True)
class Page:
    """One page of the student table: a large class is shown a hundred at a time, in the order asked for."""

    rows: list[StudentRow]
    number: int
    count: int
    first: int  # position of the first row shown, from 1
    matching: int  # rows kept by the filter and the search, on every page

    @classmethod
    def of(cls, rows: list[StudentRow], number: int) -> Page:
        count = max(1, -(-len(rows) // PAGE_SIZE))
        number = min(number, count)
        start = (number - 1) * PAGE_SIZE
        return cls(rows[start:start + PAGE_SIZE], number, count, start + 1, len(rows))

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


@dataclass(frozen=True)
class GetForm:
    """Where a GET form goes: browsers replace the query of its action with the form's fields, so parameters the
    address carries (such as a tab's session token) go along as hidden fields."""

    action: str
    carried: list[tuple[str, str]]

    @classmethod
    def to(cls, address: str) -> GetForm:
        parts = urlsplit(address)
        return cls(urlunsplit(parts._replace(query="")), parse_qsl(parts.query))


@dataclass(frozen=True)
class TimelineStep:
    phase: Phase
    label: str
    starts: datetime | None
    ends: datetime | None
    current: bool


def render(view: LaunchView, context: dict[str, object]) -> str:
    """The staff landing page of a set-up assignment."""
    assignment = view.require_assignment()
    now = utcnow()
    with collector_paused():
        facts = dashboard(db(), assignment, now)
        advice = grading_advice(db(), assignment, {row.person_id: row.name for row in facts.rows})
        # Read once: the student table marks the extended students, and coverage waits for their own deadlines.
        own_dates = dates_by_student(db(), assignment)
        coverage = coverage_report(db(), assignment, now, dates=own_dates)
    table = TableRequest.from_args(request.args)
    phase = assignment.phase_at(now)
    return render_template(
        "instructor/overview.html",
        assignment=assignment,
        phase=phase,
        phases=PHASES,
        timeline=_timeline(assignment, phase),
        next_change=assignment.timeline.next_change(now) if assignment.phase_override is None else None,
        rubric_lock=rubric_lock_reason(assignment, now),
        phase_form=PhaseForm(phase=assignment.phase_override.value if assignment.phase_override else ""),
        facts=facts,
        progress=facts.progress,
        todo=_todo(view, assignment, facts, phase, coverage),
        coverage=coverage,
        setup=_setup(assignment, facts, now) if phase is Phase.SETUP else None,
        triage=triage(facts.rows)[:QUEUE_LENGTH],
        flags=facts.flags[:QUEUE_LENGTH],
        table=table,
        table_form=GetForm.to(url_for("landing.resource_link", link_id=view.link.id)),
        page=Page.of(arrange(facts.rows, table.sort, table.descending, table.keep, table.search), table.page),
        sort_labels=SORT_LABELS,
        filter_labels=FILTER_LABELS,
        passback_labels=PASSBACK_LABELS,
        attention_labels=ATTENTION_LABELS,
        grade_chart=_grade_chart(assignment, facts),
        grade_summary=_grade_summary(facts),
        reviewer_chart=_reviewer_chart(facts),
        reviewer_summary=_reviewer_summary(assignment, facts),
        reviewers=sorted(facts.reviewers, key=lambda r: (-abs(r.bias), r.name.casefold()))[:REVIEWERS_LISTED],
        advice=advice,
        assess_form=ActionForm(),
        calibration_chart=_calibration_chart(assignment, facts),
        mail_on=current_app.config["PEERLTI_SETTINGS"].mail is not None,
        reminder_delivery=delivery(db(), assignment.id),
        calibration_passed=sum(row.calibration is not None and row.calibration.passed
                               and row.calibration.accuracy is not None for row in facts.rows),
        own_dates=own_dates,
        late_arrivals={row.person_id for row in facts.rows if row.late_arrival},
        **context,
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """The figures of a large class are tens of thousands of small objects that all live until the page is drawn:
    the cyclic garbage collector's passes over them, while they are built, free nothing and cost a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _timeline(assignment: Assignment, current: Phase) -> list[TimelineStep]:
    late_until = assignment.late_until if assignment.accept_late else None
    steps: list[tuple[Phase, datetime | None, datetime | None]] = [
        (Phase.SETUP, None, assignment.submission_opens),
        (Phase.SUBMISSION, assignment.submission_opens, late_until or assignment.submission_due),
    ]
    if assignment.timeline.has_calibration:
        steps.append((Phase.CALIBRATION, assignment.calibration_opens, assignment.calibration_due))
    steps += [
        (Phase.REVIEW, assignment.review_opens, assignment.review_due),
        (Phase.GRADING, assignment.review_due, assignment.results_release),
        (Phase.RELEASED, assignment.results_release, None),
    ]
    return [TimelineStep(phase, str(PHASES[phase]), starts, ends, phase is current) for phase, starts, ends in steps]


@dataclass(frozen=True)
class SetupState:
    """What an activity in setup still lacks before students can start, shown with the way to open it."""

    held: bool  # waiting for staff to open it (a new activity); otherwise it opens by its dates
    rubric_written: bool
    dates_passed: bool  # the submission deadline is already past: opening now would take no work
    examples_have: int
    examples_needed: int

    @property
    def examples_missing(self) -> bool:
        return self.examples_have < self.examples_needed


def _setup(assignment: Assignment, facts: Dashboard, now: datetime) -> SetupState:
    return SetupState(held=assignment.phase_override is Phase.SETUP, rubric_written=assignment.rubric is not None,
                      dates_passed=assignment.submission_due <= now, examples_have=facts.examples_written,
                      examples_needed=assignment.calibration_examples_required)


@dataclass(frozen=True)
class Todo:
    text: str
    href: str


def _todo(view: LaunchView, assignment: Assignment, facts: Dashboard, phase: Phase,
          coverage: CoverageReport) -> list[Todo]:
    """What staff should do next, most pressing first; empty when nothing waits for them."""
    link, progress, todo = view.link.id, facts.progress, []
    # In setup, the setup checklist says what is missing, beside the button that opens the activity.
    if assignment.rubric is None and phase is not Phase.SETUP:
        todo.append(Todo(gettext("Write the rubric reviewers will use."), url_for("rubric.show", link_id=link)))
    needed = assignment.calibration_examples_required
    if needed and phase is not Phase.SETUP:
        have = facts.examples_written
        if have < needed:
            todo.append(Todo(gettext("Add calibration examples: %(have)s written, %(needed)s needed.",
                                     have=have, needed=needed), url_for("calibration.manage", link_id=link)))
    if progress.open_flags:
        todo.append(Todo(ngettext("Answer %(num)d flagged review.", "Answer %(num)d flagged reviews.", progress.open_flags),
                         url_for("review_admin.flags", link_id=link)))
    short = len(coverage.backup)
    if short:
        todo.append(Todo(ngettext("Assess %(num)d submission that reviewing left short of reviews.",
                                  "Assess %(num)d submissions that reviewing left short of reviews.", short),
                         url_for("coverage.show", link_id=link)))
    if progress.held:
        todo.append(Todo(ngettext("Settle %(num)d grade that needs attention.", "Settle %(num)d grades that need attention.",
                                  progress.held),
                         url_for("grading.grades", link_id=link)))
    if progress.passback_failed:
        todo.append(Todo(ngettext("%(num)d grade was refused by the gradebook; see why and send it again.",
                                  "%(num)d grades were refused by the gradebook; see why and send them again.",
                                  progress.passback_failed), url_for("grading.grades", link_id=link)))
    if phase in (Phase.GRADING, Phase.RELEASED) and not progress.graded and progress.handed_in:
        todo.append(Todo(gettext("Run grading to compute the grades."), url_for("grading.grades", link_id=link)))
    elif progress.graded and progress.released < progress.graded:
        todo.append(Todo(gettext("Release the grades to students and the gradebook."),
                         url_for("grading.grades", link_id=link)))
    return todo


def _grade_chart(assignment: Assignment, facts: Dashboard) -> charts.Histogram | None:
    finals = [row.grade.final for row in facts.rows if row.grade is not None]
    return charts.histogram(finals, 0.0, assignment.points_possible) if finals else None


def _grade_summary(facts: Dashboard) -> dict[str, float] | None:
    finals = [row.grade.final for row in facts.rows if row.grade is not None]
    if not finals:
        return None
    return {"low": min(finals), "median": statistics.median(finals), "high": max(finals)}


def _reviewer_summary(assignment: Assignment, facts: Dashboard) -> dict[str, float]:
    # A tenth of the scale: the width at which the grading run already calls an estimate uncertain.
    margin = WIDE_UNCERTAINTY_SHARE * assignment.points_possible
    shown = [r for r in facts.reviewers if r.spread is not None]
    return {"margin": margin, "lenient": sum(r.bias > margin for r in shown),
            "harsh": sum(r.bias < -margin for r in shown)}


def _reviewer_chart(facts: Dashboard) -> charts.Scatter | None:
    # Reviewers with a single scored review have no spread to show; the table below still lists their bias.
    shown = [r for r in facts.reviewers if r.spread is not None]
    if not shown:
        return None
    # One translation and a plain number format for what may be a thousand tooltips (Babel's formatter is slow).
    tooltip, decimal = gettext("%(name)s: bias %(bias)s, spread %(spread)s"), get_decimal_symbol(get_locale())
    group = gettext("%(count)s reviewers: bias %(low)s to %(high)s, spread %(bottom)s to %(top)s")
    def number(value: float, sign: str = "") -> str:
        return format(round(value, 2), sign + "g").replace(".", decimal).replace("-", "\u2212")
    def group_label(count: int, low: float, high: float, bottom: float, top: float) -> str:
        return group % {"count": count, "low": number(low, "+"), "high": number(high, "+"), "bottom": number(bottom),
                        "top": number(top)}
    # Binned: a large class would otherwise send one dot per reviewer; every reviewer is in the reviews export.
    def label(reviewer: ReviewerStats) -> str:
        return tooltip % {"name": reviewer.name, "bias": number(reviewer.bias, "+"),
                          "spread": number(reviewer.spread or 0.0)}
    return charts.binned_scatter([(r, r.bias, r.spread or 0.0) for r in shown], group_label, label=label)


def _calibration_chart(assignment: Assignment, facts: Dashboard) -> charts.Histogram | None:
    accuracies = [row.calibration.accuracy for row in facts.rows
                  if row.calibration is not None and row.calibration.accuracy is not None]
    if not accuracies:
        return None
    return charts.histogram(accuracies, 0.0, 1.0, label=charts.percent, marker=assignment.calibration_pass_accuracy)


# --- CSV exports -------------------------------------------------------------------------------------------------


@bp.get("/links/<int:link_id>/export/grades.csv")
def grades_csv(link_id: int) -> Response:
    """Every student's work, reviews and grade, one line each."""
    view = staff_view(link_id)
    assignment = view.require_assignment()
    rows = student_rows(db(), assignment, utcnow())
    header = [gettext("Student"), gettext("Email"), gettext("Submission"), gettext("Handed in at"),
              gettext("Days late"), gettext("Late penalty (%)"), gettext("Calibration accuracy (%)"),
              gettext("Reviews done"), gettext("Reviews required"), gettext("Reviews received"),
              gettext("Peer score"), gettext("Uncertainty (±)"), gettext("Submission points"),
              gettext("Reviewing points"), gettext("Late deduction"), gettext("Final grade"),
              gettext("Released grade"), gettext("Changed since release"), gettext("Points possible"),
              gettext("Overridden"), gettext("Needs attention"), gettext("Gradebook"),
              gettext("Gradebook message")]
    lines = (_grade_line(row, assignment) for row in rows)
    return csv_response(csv_lines(header, lines), file_name("grades", assignment.title))


def _grade_line(row: StudentRow, assignment: Assignment) -> list[object]:
    grade, calibration = row.grade, row.calibration
    return [
        row.name, row.email or "",
        gettext("handed in") if row.handed_in else gettext("not handed in"),
        time_cell(row.handed_in_at, assignment.timezone), row.days_late if row.handed_in else "",
        number_cell(row.late_penalty * 100) if row.handed_in else "",
        number_cell(calibration.accuracy * 100) if calibration and calibration.accuracy is not None else "",
        row.reviews_done, row.reviews_required, row.reviews_received if row.handed_in else "",
        number_cell(grade.peer_score) if grade else "", number_cell(grade.uncertainty) if grade else "",
        number_cell(grade.submission_points) if grade else "", number_cell(grade.reviewing_points) if grade else "",
        number_cell(grade.late_deduction) if grade else "", number_cell(grade.final) if grade else "",
        *_release(grade), number_cell(assignment.points_possible),
        (gettext("yes") if grade.overridden else gettext("no")) if grade else "",
        "; ".join(str(ATTENTION_LABELS.get(reason, reason)) for reason in grade.attention) if grade else "",
        str(PASSBACK_LABELS[row.passback.status]) if row.passback else gettext("not released"),
        stored_message(row.passback.error) if row.passback else "",
    ]


def _release(grade: GradeState | None) -> tuple[object, object]:
    """What students and the gradebook hold, and whether the grade changed since (as the grades page marks it)."""
    if grade is None or grade.released_grade is None:
        return "", ""
    return number_cell(grade.released_grade), gettext("yes") if grade.changed_since_release else gettext("no")


@bp.get("/links/<int:link_id>/export/reviews.csv")
def reviews_csv(link_id: int) -> Response:
    """Every review of the assignment, criterion by criterion, with both names."""
    view = staff_view(link_id)
    assignment = view.require_assignment()
    criteria = assignment.rubric.criteria if assignment.rubric else ()
    header = [gettext("Reviewer"), gettext("Reviewer email"), gettext("Author"), gettext("Author email"),
              gettext("Submission"), gettext("Kind"), gettext("Status"), gettext("Beyond the reviews needed")]
    for criterion in criteria:
        header += [gettext("%(criterion)s: score", criterion=criterion.title),
                   gettext("%(criterion)s: comment", criterion=criterion.title)]
    header += [gettext("Total"), gettext("Assigned at"), gettext("Submitted at"), gettext("Helpfulness (1-5)"),
               gettext("Flagged")]
    keys = [criterion.key for criterion in criteria]

    def lines() -> Iterator[list[object]]:
        for record in review_records(db(), assignment.id):
            yield _review_line(record, keys, assignment)

    return csv_response(csv_lines(header, lines()), file_name("reviews", assignment.title))


def _review_line(record: ReviewRecord, keys: list[str], assignment: Assignment) -> list[object]:
    line: list[object] = [record.reviewer, record.reviewer_email or "", record.author, record.author_email or "",
                          record.pseudonym, str(KIND_LABELS[record.kind]), str(STATUS_LABELS[record.status]),
                          gettext("yes") if record.beyond_quota else gettext("no")]
    for key in keys:
        score = record.selections.get(key)
        line += [number_cell(score) if score is not None else "", record.comments.get(key, "")]
    line += [number_cell(record.score) if record.score is not None else "",
             time_cell(record.assigned_at, assignment.timezone), time_cell(record.submitted_at, assignment.timezone),
             record.helpfulness if record.helpfulness is not None else "",
             gettext("yes") if record.flagged else gettext("no")]
    return line
