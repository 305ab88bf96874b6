"""What an instructor decides about an assignment, and the rules those choices must keep."""

from __future__ import annotations

import enum
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import available_timezones as _zones

from assessment.calibration import CalibrationPolicy
from assessment.errors import InvalidInput
from assessment.grading import LatePolicy
from assessment.messages import N_
from assessment.phases import Timeline
from assessment.reminders import DEFAULT_REMINDER_HOURS, REMINDER_HOURS_PROBLEM, normalised_hours
from assessment.uploads import KNOWN_KINDS

AGGREGATION_METHODS = {
    "reliability": N_("Reliability-weighted (learns how well each reviewer assesses)"),
    "calibrated": N_("Weighted by calibration accuracy"),
    "trimmed_mean": N_("Trimmed mean (drops the highest and lowest)"),
    "median": N_("Median"),
    "mean": N_("Mean"),
}
MAX_POINTS = 10_000
STRICTNESS_LEVELS = (1, 3, 5, 7, 9)
MAX_REVIEWS = 20
MAX_FLEXIBLE_DAYS = 60
MAX_FILE_MB = 100
DEFAULT_FILE_TYPES = ("pdf", "docx")


class Anonymity(enum.StrEnum):
    DOUBLE_BLIND = "double_blind"  # nobody sees who wrote or who reviewed
    REVIEWERS_ANONYMOUS = "reviewers_anonymous"  # authors are named to reviewers, reviewers stay hidden
    OPEN = "open"


class AllocationMode(enum.StrEnum):
    QUEUE = "queue"  # reviewers ask for work; late submitters join the pool as they submit
    STATIC = "static"  # everyone is given their k reviews when reviewing opens


class SubmissionKinds(enum.StrEnum):
    TEXT = "text"
    FILES = "files"
    BOTH = "both"

    @property
    def allows_text(self) -> bool:
        return self in (SubmissionKinds.TEXT, SubmissionKinds.BOTH)

    @property
    def allows_files(self) -> bool:
        return self in (SubmissionKinds.FILES, SubmissionKinds.BOTH)


@dataclass(frozen=True)
class AssignmentSettings:
    title: str
    timeline: Timeline
    late_policy: LatePolicy
    timezone: str = "UTC"
    instructions_html: str = ""
    # The instructions as written in Markdown; empty for instructions written as HTML (all of them before Markdown).
    # When set, it is the source: instructions_html is rendered from it on save.
    instructions_markdown: str = ""
    reviews_per_submission: int = 3
    reviews_per_student: int = 3
    self_assessment: bool = False
    anonymity: Anonymity = Anonymity.DOUBLE_BLIND
    submission_weight: float = 80.0  # percent of the grade from the work; the rest from reviewing
    aggregation: str = "reliability"
    points_possible: float = 100.0
    submission_kinds: SubmissionKinds = SubmissionKinds.BOTH
    file_types: tuple[str, ...] = field(default=DEFAULT_FILE_TYPES)
    max_file_mb: int = 20
    reviewers_may_download: bool = True  # off: reviewers read the file in the page only
    allocation_mode: AllocationMode = AllocationMode.QUEUE
    reviewers_need_submission: bool = True
    lease_hours: int = 24
    bonus_review_points: float = 0.0  # per bonus review, added to the reviewing part; 0: bonus reviews count for nothing
    flexible_grading_days: int | None = None  # days after the review deadline to grade short work anyway; None: never
    zero_for_missing_work: bool = True  # otherwise a student who handed in nothing gets no grade at all
    review_strictness: int = 5  # 1 (lax) to 9 (strict): how fast the reviewing grade falls away from the consensus
    calibration: CalibrationPolicy = field(default=CalibrationPolicy(examples_required=0, pass_accuracy=0.8, attempts=2))
    reminder_hours: tuple[int, ...] = DEFAULT_REMINDER_HOURS  # before each deadline; () for no reminders
    team_assignment: bool = False  # work handed in and reviewed team by team
    reviews_by_team: bool = False  # in a team assignment: one review per team, not one per member

    def problems(self) -> dict[str, str]:
        problems = dict(self.timeline.problems())
        late_problems = self.late_policy.problems(self.timeline.submission_due)
        problems.update({f"late_{key}": text for key, text in late_problems.items()})
        if not self.title.strip():
            problems["title"] = N_("Give the assignment a title.")
        elif len(self.title) > 200:
            problems["title"] = N_("Keep the title under 200 characters.")
        if self.timezone not in available_timezones():
            problems["timezone"] = N_("Choose a time zone from the list, such as Europe/Paris or America/Chicago.")
        if not (_is_number(self.points_possible) and 0 < self.points_possible <= MAX_POINTS):
            problems["points_possible"] = N_("Points possible must be more than 0 and at most %(max)s.", max=MAX_POINTS)
        if not (_is_whole(self.reviews_per_submission) and 1 <= self.reviews_per_submission <= MAX_REVIEWS):
            problems["reviews_per_submission"] = N_("Each submission needs between 1 and %(max)s reviews.", max=MAX_REVIEWS)
        if not (_is_whole(self.reviews_per_student) and 1 <= self.reviews_per_student <= MAX_REVIEWS):
            problems["reviews_per_student"] = N_("Each student must do between 1 and %(max)s reviews.", max=MAX_REVIEWS)
        if not (_is_number(self.submission_weight) and 0 <= self.submission_weight <= 100):
            problems["submission_weight"] = N_("The weight of the submission grade is a percentage from 0 to 100.")
        if self.aggregation not in AGGREGATION_METHODS:
            problems["aggregation"] = N_("Choose one of the listed ways to combine peer scores.")
        if self.submission_kinds.allows_files:
            unknown = [kind for kind in self.file_types if kind not in KNOWN_KINDS]
            if not self.file_types:
                problems["file_types"] = N_("Choose at least one file type, or accept text only.")
            elif unknown:
                problems["file_types"] = N_("Unknown file types: %(types)s.", types=", ".join(unknown))
            if not (_is_whole(self.max_file_mb) and 1 <= self.max_file_mb <= MAX_FILE_MB):
                problems["max_file_mb"] = N_("The size limit is between 1 and %(max)s MB.", max=MAX_FILE_MB)
        if not (_is_whole(self.review_strictness) and self.review_strictness in STRICTNESS_LEVELS):
            problems["review_strictness"] = N_("Strictness is 1 (lax), 3, 5, 7 or 9 (strict).")
        if not (_is_whole(self.lease_hours) and 1 <= self.lease_hours <= 24 * 14):
            problems["lease_hours"] = N_("A reviewer keeps a review for between 1 hour and 14 days.")
        # Against the points possible only when those are valid: a bad total is its own problem, not the bonus's.
        if not (_is_number(self.bonus_review_points) and self.bonus_review_points >= 0) or (
                "points_possible" not in problems and self.bonus_review_points > self.points_possible):
            problems["bonus_review_points"] = N_("A bonus review adds between 0 and the points possible.")
        days = self.flexible_grading_days
        if days is not None and not (_is_whole(days) and 0 <= days <= MAX_FLEXIBLE_DAYS):
            problems["flexible_grading_days"] = N_("Grade short work between 0 and %(max)s days after the review "
                                                   "deadline, or leave it empty.", max=MAX_FLEXIBLE_DAYS)
        problems.update({f"calibration_{key}": text for key, text in self.calibration.problems().items()})
        try:
            normalised_hours(self.reminder_hours)
        except ValueError:
            problems["reminder_hours"] = REMINDER_HOURS_PROBLEM
        return problems

    def fingerprint(self) -> str:
        """A short digest of every value: a form carries the one it was filled from, so a save from a tab opened
        before another save can be told apart from a save of the settings as they are now."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:32]

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput(problems)


# True and False are ints to Python, but a tick box is neither a number of points nor a count.
def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# How much each anonymity hides; once reviewing has started it may only rise, since people reviewed and were reviewed
# under the promise it made (relaxing it would show authors their reviewers' names, or reviewers the authors').
ANONYMITY_STRICTNESS = {Anonymity.OPEN: 0, Anonymity.REVIEWERS_ANONYMOUS: 1, Anonymity.DOUBLE_BLIND: 2}
REVIEW_RULES_LOCKED: str = N_(
    "Locked because reviewing has started: every review must be handed out, scored and weighed under the same rules."
)
ANONYMITY_LOCKED: str = N_(
    "Reviewing has started, so anonymity can only be made stricter: people reviewed and were reviewed under the "
    "anonymity promised to them."
)

DOWNLOAD_LOCKED: str = N_(
    "Reviewing has started, so reviewers' downloading can only be turned off: authors handed in their work "
    "knowing whether reviewers could keep a copy."
)


def _review_rules(settings: AssignmentSettings) -> dict[str, object]:
    """The settings reviews depend on, by the name of their form field (the rubric is locked on its own page)."""
    return {
        "reviews_per_submission": settings.reviews_per_submission,
        "reviews_per_student": settings.reviews_per_student,
        "allocation_mode": settings.allocation_mode,
        "points_possible": settings.points_possible,  # review scores are stored on these points
        "calibration_examples_required": settings.calibration.examples_required,
        "calibration_pass_accuracy": settings.calibration.pass_accuracy,
        "calibration_attempts": settings.calibration.attempts,
    }


def review_locks(settings: AssignmentSettings) -> dict[str, str]:
    """Each setting locked once reviewing has started, with why: shown beside its field."""
    return dict.fromkeys(_review_rules(settings), REVIEW_RULES_LOCKED) | {"anonymity": ANONYMITY_LOCKED,
                                                                          "reviewers_may_download": DOWNLOAD_LOCKED}


def locked_changes(before: AssignmentSettings, after: AssignmentSettings) -> dict[str, str]:
    """The changes from `before` to `after` that reviewing under way forbids, each with why; empty when none."""
    old, new = _review_rules(before), _review_rules(after)
    refused = {name: REVIEW_RULES_LOCKED for name in old if old[name] != new[name]}
    if ANONYMITY_STRICTNESS[after.anonymity] < ANONYMITY_STRICTNESS[before.anonymity]:
        refused["anonymity"] = ANONYMITY_LOCKED
    if after.reviewers_may_download and not before.reviewers_may_download:
        refused["reviewers_may_download"] = DOWNLOAD_LOCKED
    return refused


@cache
def available_timezones() -> frozenset[str]:
    return frozenset(_zones())


# Zones most courses use, offered right after the instructor's own: a short list to scan before the long one.
COMMON_TIMEZONES = (
    "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto",
    "America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "Europe/London", "Europe/Dublin", "Europe/Paris",
    "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Athens", "Europe/Istanbul", "Europe/Moscow", "Africa/Cairo", "Africa/Lagos", "Africa/Nairobi",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul",
    "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
)
# Names the time-zone database carries for software, not for people: never offered, even as the zone in use.
TECHNICAL_TIMEZONES = frozenset({"Factory", "localtime", "posixrules"})


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Each country's zones, from the time-zone database's own table (tzdata's zone.tab): only real places, no
    aliases (US/Eastern), fixed offsets (Etc/GMT+5) or technical names (Factory)."""
    by_country: dict[str, list[str]] = {}
    known = available_timezones()
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, zone, *_ = line.split("\t")
        if zone in known:
            by_country.setdefault(country.upper(), []).append(zone)
    return {country: tuple(zones) for country, zones in by_country.items()}


@cache
def listed_timezones() -> tuple[str, ...]:
    """Every zone an instructor may pick: UTC and each place of the database, alphabetically."""
    places = {zone for zones in _zones_by_country().values() for zone in zones}
    return ("UTC", *sorted(places))


def timezone_choices(preferred: Sequence[str | None] = (), country: str | None = None) -> list[str]:
    """The zones to offer, likeliest first: `preferred` (the zone in use, even an old alias such as US/Eastern, so
    saving the form keeps it), then the zones of `country` (the LMS's or browser's locale, such as IN for hi-IN),
    then the common ones, then the rest alphabetically. (The page moves the browser's own zone to the top.)"""
    known = available_timezones() - TECHNICAL_TIMEZONES
    first = [zone for zone in preferred if zone and zone in known]
    regional = _zones_by_country().get((country or "").upper(), ())
    ordered = dict.fromkeys([*first, *regional, *COMMON_TIMEZONES, *listed_timezones()])
    return list(ordered)


def default_settings(title: str, now: datetime, points_possible: float = 100.0, timezone: str = "UTC") -> AssignmentSettings:
    """A week to submit, a week to review, results the day after: a sensible start an instructor then adjusts."""
    start = now.replace(second=0, microsecond=0)
    due = (start + timedelta(days=7)).replace(hour=23, minute=59)
    timeline = Timeline(
        submission_opens=start,
        submission_due=due,
        calibration_opens=None,
        calibration_due=None,
        review_opens=due,
        review_due=due + timedelta(days=7),
        results_release=due + timedelta(days=8),
    )
    return AssignmentSettings(
        title=title,
        timezone=timezone,
        timeline=timeline,
        late_policy=LatePolicy(accept_late=False),
        points_possible=points_possible,
    )
