"""The tool's HTML forms (Flask-WTF, CSRF on each), and their translation to and from domain values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import DecimalField as WTFormsDecimalField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from assessment.assignment_settings import (
    AGGREGATION_METHODS,
    MAX_FLEXIBLE_DAYS,
    MAX_POINTS,
    AllocationMode,
    Anonymity,
    AssignmentSettings,
    SubmissionKinds,
    timezone_choices,
)
from assessment.calibration import CalibrationPolicy
from assessment.grading import LatePolicy
from assessment.personal_dates import STEP_NAMES, Step
from assessment.phases import PHASE_NAMES, Phase, Timeline
from assessment.reminders import parse_hours
from assessment.rubric import CommentPrompt, Criterion, Level
from assessment.uploads import KNOWN_KINDS
from lti_tool.i18n import lazy_translate, reader_region

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers in the database (as RowIdConverter knows)
INSTRUCTIONS_MARKDOWN, INSTRUCTIONS_HTML = "markdown", "html"
MAX_INSTRUCTIONS_CHARACTERS = 50_000
ANONYMITY_CHOICES = [
    SelectChoice(Anonymity.DOUBLE_BLIND.value, _l("Double-blind: authors and reviewers never see each other's names")),
    SelectChoice(Anonymity.REVIEWERS_ANONYMOUS.value, _l("Reviewers anonymous: reviewers see the author's name")),
    SelectChoice(Anonymity.OPEN.value, _l("Open: everyone sees names")),
]
KIND_CHOICES = [
    SelectChoice(SubmissionKinds.BOTH.value, _l("Text and files")),
    SelectChoice(SubmissionKinds.TEXT.value, _l("Text only")),
    SelectChoice(SubmissionKinds.FILES.value, _l("Files only")),
]


# WTForms' own messages for values it cannot read, listed so this tool's catalogue carries them (WTForms has no Hindi).
WTFORMS_MESSAGES = (
    _l("Not a valid decimal value."),
    _l("Not a valid integer value."),
    _l("Not a valid datetime value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
)


class CatalogueTranslations:
    """WTForms' messages looked up in this tool's catalogue, in the page's language."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class TranslatedForm(FlaskForm):
    class Meta:
        def get_translations(self, form: FlaskForm) -> CatalogueTranslations:
            return CatalogueTranslations()


def required() -> InputRequired:
    return InputRequired(message=_l("This field is required."))


def at_most(length: int) -> Length:
    return Length(max=length, message=_l("Field cannot be longer than %(max)d characters."))


class DecimalField(WTFormsDecimalField):
    """A decimal number that is finite: "sNaN", which Python's decimal reads and then fails to compare, and "NaN"
    or "Infinity", which no setting means, are refused as unreadable like any other text."""

    data: Any  # as WTForms types it: a Decimal once read, None when empty

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        # Only what was read from the form is a Decimal: a field left out keeps its default, a plain number.
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None  # the validators that follow would compare it
            raise ValueError(self.gettext("Not a valid decimal value."))


def between(low: float, high: float) -> NumberRange:
    return NumberRange(min=low, max=high, message=_l("Number must be between %(min)s and %(max)s."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(TranslatedForm):
    """A button that changes something: nothing to fill in but the CSRF token."""


class ReminderEmailsForm(TranslatedForm):
    """A student's choice of reminder e-mails: "on" or "off"."""

    emails = RadioField(_l("Reminder e-mails"), choices=[SelectChoice("on", _l("On")), SelectChoice("off", _l("Off"))],
                        validators=[required()])


class NewActivityForm(TranslatedForm):
    title = StringField(_l("Title"), validators=[required(), at_most(200)])
    points_possible = DecimalField(_l("Points possible"), default=100, places=None,
                                   validators=[required(), between(0.01, 10_000)])
    timezone = SelectField(_l("Time zone for dates"), default="UTC")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # The zone in use first, then the reader's country's; the page moves the browser's own zone to the top.
        zones = timezone_choices([self.timezone.data], country=reader_region())
        self.timezone.choices = [SelectChoice(zone) for zone in zones]


class SettingsForm(NewActivityForm):
    # The fingerprint of the settings the form was filled from (see AssignmentSettings.fingerprint).
    settings_seen = HiddenField()
    instructions = TextAreaField(_l("Instructions for students"), validators=[at_most(MAX_INSTRUCTIONS_CHARACTERS)])
    instructions_format = RadioField(_l("Written in"), default=INSTRUCTIONS_MARKDOWN, choices=[
        SelectChoice(INSTRUCTIONS_MARKDOWN, _l("Markdown: **bold**, *italic*, - lists, [links](https://…)")),
        SelectChoice(INSTRUCTIONS_HTML, _l("HTML")),
    ])
    submission_opens = DateTimeLocalField(_l("Submissions open"), format=DATETIME_FORMAT, validators=[required()])
    submission_due = DateTimeLocalField(_l("Submissions due"), format=DATETIME_FORMAT, validators=[required()])
    calibration_opens = DateTimeLocalField(_l("Calibration opens"), format=DATETIME_FORMAT, validators=[Optional()])
    calibration_due = DateTimeLocalField(_l("Calibration due"), format=DATETIME_FORMAT, validators=[Optional()])
    review_opens = DateTimeLocalField(_l("Reviewing opens"), format=DATETIME_FORMAT, validators=[required()])
    review_due = DateTimeLocalField(_l("Reviewing due"), format=DATETIME_FORMAT, validators=[required()])
    results_release = DateTimeLocalField(_l("Results released"), format=DATETIME_FORMAT, validators=[required()])
    accept_late = BooleanField(_l("Accept late submissions"))
    late_until = DateTimeLocalField(_l("Accept late work until"), format=DATETIME_FORMAT, validators=[Optional()])
    late_penalty_per_day = DecimalField(_l("Penalty per day late (percent of the grade)"), default=0, places=None,
                                        validators=[Optional(), between(0, 100)])
    reviews_per_submission = IntegerField(_l("Reviews each submission needs"), default=3,
                                          validators=[required(), between(1, 20)])
    reviews_per_student = IntegerField(_l("Reviews each student must do"), default=3,
                                       validators=[required(), between(1, 20)])
    self_assessment = BooleanField(_l("Students also assess their own work"))
    team_assignment = BooleanField(_l("Team assignment: students hand in and are reviewed as teams"))
    reviews_by_team = BooleanField(_l("One review per team: each team writes one review of each work it reviews "
                                      "(any member writes it) instead of every member reviewing alone"))
    anonymity = RadioField(_l("Anonymity"), choices=ANONYMITY_CHOICES, default=Anonymity.DOUBLE_BLIND.value)
    submission_weight = DecimalField(_l("Weight of the submission grade (%); the rest rewards reviewing"), default=80,
                                     places=None, validators=[required(), between(0, 100)])
    aggregation = SelectField(_l("How peer scores are combined"), choices=[
        SelectChoice(name, lazy_translate(label)) for name, label in AGGREGATION_METHODS.items()
    ])
    submission_kinds = RadioField(_l("Students hand in"), choices=KIND_CHOICES, default=SubmissionKinds.BOTH.value)
    file_types = MultiCheckboxField(_l("File types accepted"),
                                    choices=[SelectChoice(kind.name, kind.label) for kind in KNOWN_KINDS.values()])
    max_file_mb = IntegerField(_l("File size limit (MB)"), default=20, validators=[Optional(), between(1, 100)])
    reviewers_may_download = BooleanField(_l("Let reviewers download the file"), default=True)
    allocation_mode = RadioField(_l("How reviews are handed out"), default=AllocationMode.QUEUE.value, choices=[
        SelectChoice(AllocationMode.QUEUE.value, _l("A queue: students ask for work; late submissions join as they arrive")),
        SelectChoice(AllocationMode.STATIC.value, _l("All at once when reviewing opens")),
    ])
    reviewers_need_submission = BooleanField(_l("Only students who handed in work review"))
    review_strictness = SelectField(_l("How strictly reviewing is graded against the consensus"), coerce=int, default=5,
                                    choices=[SelectChoice("1", _l("1: lax")), SelectChoice("3", "3"),
                                             SelectChoice("5", _l("5: moderate")), SelectChoice("7", "7"),
                                             SelectChoice("9", _l("9: strict"))])
    zero_for_missing_work = BooleanField(_l("Students who hand in nothing get zero (otherwise no grade is sent)"))
    lease_hours = IntegerField(_l("Hours a reviewer keeps a review before it returns to the pool"), default=24,
                               validators=[required(), between(1, 336)])
    bonus_review_points = DecimalField(_l("Points each optional bonus review adds to the reviewing grade (0: none)"),
                                       default=0, places=None, validators=[Optional(), between(0, MAX_POINTS)])
    flexible_grading_days = IntegerField(_l("Days after the review deadline when work short of reviews is graded "
                                            "from the reviews it has (empty: never, staff assess it)"),
                                         validators=[Optional(), between(0, MAX_FLEXIBLE_DAYS)])
    calibration_examples_required = IntegerField(_l("Calibration examples each student assesses first (0: none)"),
                                                 default=0, validators=[required(), between(0, 10)])
    calibration_pass_accuracy = IntegerField(_l("Accuracy that passes calibration (%)"), default=80,
                                             validators=[required(), between(1, 100)])
    calibration_attempts = IntegerField(_l("Attempts per calibration example"), default=2,
                                        validators=[required(), between(1, 10)])
    reminder_hours = StringField(_l("Remind students who still owe a step this many hours before each deadline "
                                    "(comma-separated; empty: no reminders)"), default="48, 6",
                                 validators=[at_most(40)])

    DATE_FIELDS = ("submission_opens", "submission_due", "calibration_opens", "calibration_due",
                   "review_opens", "review_due", "results_release", "late_until")

    def to_settings(self) -> AssignmentSettings:
        zone = ZoneInfo(self.timezone.data)

        def moment(name: str) -> datetime | None:
            value = getattr(self, name).data
            return value.replace(tzinfo=zone) if value else None

        def given(name: str) -> datetime:
            value = moment(name)
            if value is None:  # validate() refuses the form without it first (InputRequired)
                raise ValueError(f"the settings form was read before it was validated: {name} is empty")
            return value

        return AssignmentSettings(
            title=self.title.data or "",
            timezone=self.timezone.data,
            timeline=Timeline(
                submission_opens=given("submission_opens"), submission_due=given("submission_due"),
                calibration_opens=moment("calibration_opens"), calibration_due=moment("calibration_due"),
                review_opens=given("review_opens"), review_due=given("review_due"),
                results_release=given("results_release"),
            ),
            late_policy=LatePolicy(accept_late=self.accept_late.data, late_until=moment("late_until"),
                                   penalty_per_day=float(self.late_penalty_per_day.data or 0)),
            **self._instructions(),
            reviews_per_submission=self.reviews_per_submission.data,
            reviews_per_student=self.reviews_per_student.data,
            self_assessment=self.self_assessment.data,
            team_assignment=self.team_assignment.data,
            reviews_by_team=self.reviews_by_team.data,
            anonymity=Anonymity(self.anonymity.data),
            submission_weight=float(self.submission_weight.data),
            aggregation=self.aggregation.data,
            points_possible=float(self.points_possible.data),
            submission_kinds=SubmissionKinds(self.submission_kinds.data),
            file_types=tuple(self.file_types.data or ()),
            max_file_mb=self.max_file_mb.data or 20,
            reviewers_may_download=self.reviewers_may_download.data,
            allocation_mode=AllocationMode(self.allocation_mode.data),
            reviewers_need_submission=self.reviewers_need_submission.data,
            lease_hours=self.lease_hours.data,
            bonus_review_points=float(self.bonus_review_points.data or 0),
            flexible_grading_days=self.flexible_grading_days.data,
            zero_for_missing_work=self.zero_for_missing_work.data,
            review_strictness=self.review_strictness.data,
            calibration=CalibrationPolicy(examples_required=self.calibration_examples_required.data,
                                          pass_accuracy=self.calibration_pass_accuracy.data / 100,
                                          attempts=self.calibration_attempts.data),
            reminder_hours=self._reminder_hours(),
        )

    def _reminder_hours(self) -> tuple[int, ...]:
        try:
            return parse_hours(self.reminder_hours.data or "")
        except ValueError:
            # Out of range on purpose: the settings' own check refuses it with its message on this field.
            return (0,)

    def _instructions(self) -> dict[str, str]:
        text = self.instructions.data or ""
        if self.instructions_format.data == INSTRUCTIONS_HTML:
            return {"instructions_html": text, "instructions_markdown": ""}
        return {"instructions_html": "", "instructions_markdown": text}

    @classmethod
    def from_settings(cls, settings: AssignmentSettings) -> SettingsForm:
        zone = ZoneInfo(settings.timezone)
        timeline, late = settings.timeline, settings.late_policy

        def local(moment: datetime | None) -> datetime | None:
            return moment.astimezone(zone).replace(tzinfo=None) if moment else None

        return cls(
            settings_seen=settings.fingerprint(),
            title=settings.title, timezone=settings.timezone, points_possible=settings.points_possible,
            # Instructions written as HTML (all of them before Markdown) reopen as HTML, so they keep working.
            instructions=settings.instructions_markdown or settings.instructions_html,
            instructions_format=INSTRUCTIONS_HTML if settings.instructions_html and not settings.instructions_markdown
            else INSTRUCTIONS_MARKDOWN,
            submission_opens=local(timeline.submission_opens), submission_due=local(timeline.submission_due),
            calibration_opens=local(timeline.calibration_opens), calibration_due=local(timeline.calibration_due),
            review_opens=local(timeline.review_opens), review_due=local(timeline.review_due),
            results_release=local(timeline.results_release),
            accept_late=late.accept_late, late_until=local(late.late_until), late_penalty_per_day=late.penalty_per_day,
            reviews_per_submission=settings.reviews_per_submission, reviews_per_student=settings.reviews_per_student,
            self_assessment=settings.self_assessment, anonymity=settings.anonymity.value,
            team_assignment=settings.team_assignment, reviews_by_team=settings.reviews_by_team,
            submission_weight=settings.submission_weight, aggregation=settings.aggregation,
            submission_kinds=settings.submission_kinds.value, file_types=list(settings.file_types),
            max_file_mb=settings.max_file_mb, reviewers_may_download=settings.reviewers_may_download,
            allocation_mode=settings.allocation_mode.value,
            reviewers_need_submission=settings.reviewers_need_submission, lease_hours=settings.lease_hours,
            bonus_review_points=settings.bonus_review_points, flexible_grading_days=settings.flexible_grading_days,
            zero_for_missing_work=settings.zero_for_missing_work, review_strictness=settings.review_strictness,
            calibration_examples_required=settings.calibration.examples_required,
            calibration_pass_accuracy=round(settings.calibration.pass_accuracy * 100),
            calibration_attempts=settings.calibration.attempts,
            reminder_hours=", ".join(str(hours) for hours in settings.reminder_hours),
        )


class PhaseForm(TranslatedForm):
    phase = SelectField(_l("Phase"), choices=[
        SelectChoice("", _l("Follow the dates")),
        *(SelectChoice(phase.value, lazy_translate(PHASE_NAMES[phase], capitalize=True)) for phase in Phase),
    ])


class CriterionForm(TranslatedForm):
    title = StringField(_l("Criterion"), validators=[required(), at_most(200)])
    description = TextAreaField(_l("What reviewers should look for"), validators=[at_most(5000)])
    weight = DecimalField(_l("Weight"), default=1, places=None, validators=[required(), between(0, 1000)])
    scoring = RadioField(_l("Scoring"), default="levels",
                         choices=[SelectChoice("levels", _l("Levels, each with points and a descriptor")),
                                  SelectChoice("range", _l("A number in a range"))])
    levels = TextAreaField(_l("Levels, one per line as “points | descriptor”"), validators=[at_most(20_000)],
                           default="0 | Missing\n1 | Weak\n2 | Adequate\n3 | Strong")
    range_low = DecimalField(_l("Lowest score"), default=0, places=None, validators=[Optional()])
    range_high = DecimalField(_l("Highest score"), default=10, places=None, validators=[Optional()])
    comment_prompt = StringField(_l("Comment prompt (optional)"), validators=[at_most(500)])
    comment_required = BooleanField(_l("A comment is required"))
    comment_min_length = IntegerField(_l("Minimum comment length (characters)"), default=0,
                                      validators=[Optional(), between(0, 5000)])

    def to_criterion(self, key: str) -> Criterion:
        """The criterion described; malformed level lines are reported on the levels field as ValueError."""
        comment = None
        if (self.comment_prompt.data or "").strip() or self.comment_required.data:
            comment = CommentPrompt(prompt=(self.comment_prompt.data or "").strip() or gettext("Comments"),
                                    required=self.comment_required.data,
                                    min_length=self.comment_min_length.data or 0)
        if self.scoring.data == "range":
            low, high = self.range_low.data, self.range_high.data
            if low is None or high is None:
                raise ValueError(gettext("Give the lowest and the highest score of the range."))
            return Criterion(key=key, title=self.title.data.strip(), description=(self.description.data or "").strip(),
                             weight=float(self.weight.data), score_range=(float(low), float(high)), comment=comment)
        return Criterion(key=key, title=self.title.data.strip(), description=(self.description.data or "").strip(),
                         weight=float(self.weight.data), levels=parse_levels(self.levels.data or ""), comment=comment)

    @classmethod
    def from_criterion(cls, criterion: Criterion) -> CriterionForm:
        comment = criterion.comment
        return cls(
            title=criterion.title, description=criterion.description, weight=criterion.weight,
            scoring="range" if criterion.score_range else "levels",
            levels="\n".join(f"{format_points(level.points)} | {level.descriptor}" for level in criterion.levels),
            range_low=criterion.score_range[0] if criterion.score_range else 0,
            range_high=criterion.score_range[1] if criterion.score_range else 10,
            comment_prompt=comment.prompt if comment else "", comment_required=bool(comment and comment.required),
            comment_min_length=comment.min_length if comment else 0,
        )


def parse_levels(text: str) -> tuple[Level, ...]:
    levels = []
    for number, line in enumerate((line.strip() for line in text.splitlines()), start=1):
        if not line:
            continue
        points, separator, descriptor = line.partition("|")
        try:
            value = float(points.strip())
        except ValueError:
            raise ValueError(gettext("Line %(number)s should start with a number of points, then “|”, then a descriptor.",
                                     number=number)) from None
        if not separator or not descriptor.strip():
            raise ValueError(gettext("Line %(number)s needs a descriptor after “|”.", number=number))
        levels.append(Level(points=value, descriptor=descriptor.strip()))
    return tuple(levels)


def format_points(points: float) -> str:
    return f"{points:g}"


class CopyRubricForm(TranslatedForm):
    source = SelectField(_l("Copy the rubric of"), coerce=int)


class TeamSizesForm(TranslatedForm):
    smallest = IntegerField(_l("Smallest team"), default=3, validators=[required(), between(1, 50)])
    largest = IntegerField(_l("Largest team"), default=4, validators=[required(), between(1, 50)])
    attribute_file = FileField(_l("Balance by (optional): a CSV of each student (email or LMS user id) and their "
                                  "value, such as a programme or a prior-grade band"))


class TeamsFileForm(TranslatedForm):
    file = FileField(_l("CSV file of teams"))


class ExtensionForm(TranslatedForm):
    """An extension for one student or team: extra hours or a new date (in the assignment's time zone), and why."""

    who = SelectField(_l("Student or team"), validators=[required()])
    step = SelectField(_l("Step"), validators=[required()], choices=[
        SelectChoice(step.value, lazy_translate(STEP_NAMES[step], capitalize=True)) for step in Step])
    extra_hours = DecimalField(_l("Extra hours after the class deadline"), places=None,
                               validators=[Optional(), between(0, 24 * 366)])
    until = DateTimeLocalField(_l("Or a new deadline"), format=DATETIME_FORMAT, validators=[Optional()])
    reason = StringField(_l("Reason (kept, shown to staff only)"), validators=[required(), at_most(500)])


class ExtensionsFileForm(TranslatedForm):
    file = FileField(_l("CSV file of extensions"))


class SubmissionForm(TranslatedForm):
    text = TextAreaField(_l("Your answer"))
    file = FileField(_l("Attach a file"))


def whole_number(raw: str | None) -> int:
    """A posted whole number, or 0 for anything else (the use case then refuses it with its own message), and for a
    number no row id can be: the database would refuse to compare it with an id."""
    try:
        number = int(raw or "")
    except ValueError:
        return 0
    return number if abs(number) <= MAX_ROW_ID else 0
