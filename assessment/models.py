"""People, courses, enrollments and resource links: who takes part in what."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.assignment_settings import AllocationMode, Anonymity, AssignmentSettings, SubmissionKinds
from assessment.calibration import CalibrationPolicy
from assessment.db import Base, JSONDocument, utcnow
from assessment.grading import LatePolicy, holds_grade
from assessment.messages import message_document, message_from_document
from assessment.personal_dates import Grant, Step
from assessment.phases import Phase, Timeline
from assessment.reminders import DEFAULT_REMINDER_HOURS
from assessment.rubric import Rubric
from assessment.teammate_evaluation import TeammateEvaluation


def _enum(kind: type[enum.Enum], length: int = 32) -> Enum:
    # Stored as the values, in a VARCHAR with a CHECK: readable in SQL and portable to SQLite.
    return Enum(kind, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members])


class CourseRole(enum.StrEnum):
    """What a person may do in a course; unknown LMS roles map to STUDENT at most."""

    STAFF = "staff"
    STUDENT = "student"


class Person(Base):
    """Someone known to one platform by its stable `sub`."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    # The language the LMS last launched them in ("en", "hi"): what their reminders are written in.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        return display_name(self)


def display_name(person: Any) -> str:
    """The name a person is shown by, from the columns of `Person` (a loaded person or a row of those columns)."""
    full = " ".join(part for part in (person.given_name, person.family_name) if part)
    return person.name or full or person.email or "Unnamed participant"


class Course(Base):
    """An LMS context; a launch without one gets a course of its own resource link."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course", passive_deletes=True)
    resource_links: Mapped[list[ResourceLink]] = relationship(back_populates="course", passive_deletes=True)

    @property
    def display_title(self) -> str:
        return self.title or self.label or "Untitled course"


class Enrollment(Base):
    """A person's membership of a course, with the LMS roles of their latest launch."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("person_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    role: Mapped[CourseRole] = mapped_column(_enum(CourseRole, 16))
    lti_roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    last_launch_at: Mapped[datetime | None] = mapped_column(default=utcnow)  # None: known from the roster only
    # The student asked for no reminder e-mails from this course. Only a server default, as rows of older revisions.
    reminders_off: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # When the tool first learnt of the enrolment (launch or roster sync): a student enrolled after reviewing opened
    # is a late arrival. None for enrolments from before this was kept (set by the code that enrols, without a
    # default, so that inserts by the schema of older revisions leave it out).
    enrolled_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    course: Mapped[Course] = relationship(back_populates="enrollments")

    @property
    def is_staff(self) -> bool:
        return self.role is CourseRole.STAFF


class ResourceLink(Base):
    """A placement of the tool in a course, with the service claims the workers need."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(String(4096))
    ags_claim: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    nrps_claim: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # What the last roster sync did ({"at", "added", "updated"} or {"at", "refused": {"status", "retryable"}}):
    # with a broker the sync ends in a worker after staff's page has answered, so the page reads it from here.
    last_roster_sync: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # The gradebook column peerlti created for this link when the launch named none: created once, then reused.
    line_item_url: Mapped[str | None] = mapped_column(String(1024), unique=True)
    # Where the activity opens in the LMS (the `activity_url` custom parameter), so that a reminder's link goes
    # through the launch; None when the platform gives none.
    lms_url: Mapped[str | None] = mapped_column(String(1024))
    # A newer pick in the LMS that the link did not follow (an assignment's public id), until staff answer whether
    # to open it; and the last pick staff chose not to open, which later launches then carry without asking again.
    waiting_pick: Mapped[str | None] = mapped_column(String(32))
    declined_pick: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="resource_links")

    @property
    def display_title(self) -> str:
        return self.title or "Untitled activity"


class Assignment(Base):
    """A peer assessment: its settings, its dates and its rubric, placed at one resource link."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Named in the deep-linking content item, so the first launch of the new link finds its assignment.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL"), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # Where the instructor lives: dates are entered and shown in this zone, stored in UTC.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    instructions_html: Mapped[str] = mapped_column(Text, default="")
    # "" for instructions written as HTML. Only a server default: an insert that does not name it (as the schema of
    # older revisions takes) leaves it to the database.
    instructions_markdown: Mapped[str] = mapped_column(Text, server_default="")
    submission_opens: Mapped[datetime]
    submission_due: Mapped[datetime]
    calibration_opens: Mapped[datetime | None]
    calibration_due: Mapped[datetime | None]
    review_opens: Mapped[datetime]
    review_due: Mapped[datetime]
    results_release: Mapped[datetime]
    accept_late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_until: Mapped[datetime | None]
    late_penalty_per_day: Mapped[float] = mapped_column(Float, default=0.0)
    reviews_per_submission: Mapped[int] = mapped_column(Integer, default=3)
    reviews_per_student: Mapped[int] = mapped_column(Integer, default=3)
    self_assessment: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymity: Mapped[Anonymity] = mapped_column(_enum(Anonymity))
    submission_weight: Mapped[float] = mapped_column(Float, default=80.0)
    aggregation: Mapped[str] = mapped_column(String(32))
    points_possible: Mapped[float] = mapped_column(Float)
    submission_kinds: Mapped[SubmissionKinds] = mapped_column(_enum(SubmissionKinds))
    file_types: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    max_file_mb: Mapped[int] = mapped_column(Integer, default=20)
    # Off: reviewers read the file in the page only (staff may always download it). Only a server default, as
    # instructions_markdown: rows inserted by the schema of older revisions leave it to the database.
    reviewers_may_download: Mapped[bool] = mapped_column(Boolean, server_default=true())
    phase_override: Mapped[Phase | None] = mapped_column(_enum(Phase))
    allocation_mode: Mapped[AllocationMode] = mapped_column(_enum(AllocationMode), default=AllocationMode.QUEUE)
    reviewers_need_submission: Mapped[bool] = mapped_column(Boolean, default=True)
    lease_hours: Mapped[int] = mapped_column(Integer, default=24)
    zero_for_missing_work: Mapped[bool] = mapped_column(Boolean, default=True)
    review_strictness: Mapped[int] = mapped_column(Integer, default=5)
    calibration_examples_required: Mapped[int] = mapped_column(Integer, default=0)
    calibration_pass_accuracy: Mapped[float] = mapped_column(Float, default=0.8)
    calibration_attempts: Mapped[int] = mapped_column(Integer, default=2)
    # Hours before each deadline that students who still owe the step are reminded, nearest last. Only a server
    # default (DEFAULT_REMINDER_HOURS), as instructions_markdown: inserts by the schema of older revisions omit it.
    reminder_hours: Mapped[list[int]] = mapped_column(JSONDocument, server_default="[48, 6]")
    # Work is handed in and reviewed team by team (see assessment.team_work). Only a server default, as
    # instructions_markdown: rows inserted by the schema of older revisions leave it to the database.
    team_assignment: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # In a team assignment, each team writes one review of each work it reviews (any member writes it) instead of
    # every member reviewing alone (see assessment.team_reviews). Only a server default, as instructions_markdown.
    reviews_by_team: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Teammates' ratings of each other (assessment.teammate_evaluation.TeammateEvaluation's document); None: a team
    # assignment without them, where every member gets the team's grade.
    teammate_evaluation_document: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # Points each bonus review adds to the reviewing part (within the points possible); 0, the default, counts them
    # for nothing: bonus reviews are a favour to classmates, and a grade that rewards them would turn the offer into
    # pressure. Only a server default, as instructions_markdown.
    bonus_review_points: Mapped[float] = mapped_column(Float, server_default="0")
    # Flexible grading: this many days after the review deadline, work short of its k reviews is graded from the
    # reviews it has (flagged for triage) instead of waiting for staff; None, the default, never.
    flexible_grading_days: Mapped[int | None] = mapped_column(Integer)
    rubric_document: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()

    @property
    def timeline(self) -> Timeline:
        return Timeline(
            submission_opens=self.submission_opens,
            submission_due=self.submission_due,
            calibration_opens=self.calibration_opens,
            calibration_due=self.calibration_due,
            review_opens=self.review_opens,
            review_due=self.review_due,
            results_release=self.results_release,
        )

    @property
    def late_policy(self) -> LatePolicy:
        return LatePolicy(
            accept_late=self.accept_late, late_until=self.late_until, penalty_per_day=self.late_penalty_per_day
        )

    @property
    def teammate_evaluation(self) -> TeammateEvaluation | None:
        if not self.team_assignment or self.teammate_evaluation_document is None:
            return None
        return TeammateEvaluation.from_document(self.teammate_evaluation_document, self.points_possible)

    @property
    def rubric(self) -> Rubric | None:
        return Rubric.from_dict(self.rubric_document) if self.rubric_document else None

    def phase_at(self, now: datetime) -> Phase:
        return self.timeline.phase_at(now, self.phase_override)

    @property
    def settings(self) -> AssignmentSettings:
        return AssignmentSettings(
            title=self.title,
            timezone=self.timezone,
            timeline=self.timeline,
            late_policy=self.late_policy,
            instructions_html=self.instructions_html,
            instructions_markdown=self.instructions_markdown,
            reviews_per_submission=self.reviews_per_submission,
            reviews_per_student=self.reviews_per_student,
            self_assessment=self.self_assessment,
            anonymity=self.anonymity,
            submission_weight=self.submission_weight,
            aggregation=self.aggregation,
            points_possible=self.points_possible,
            submission_kinds=self.submission_kinds,
            file_types=tuple(self.file_types),
            max_file_mb=self.max_file_mb,
            reviewers_may_download=self.reviewers_may_download,
            allocation_mode=self.allocation_mode,
            reviewers_need_submission=self.reviewers_need_submission,
            lease_hours=self.lease_hours,
            bonus_review_points=self.bonus_review_points if self.bonus_review_points is not None else 0.0,
            flexible_grading_days=self.flexible_grading_days,
            zero_for_missing_work=self.zero_for_missing_work,
            review_strictness=self.review_strictness,
            calibration=self.calibration_policy,
            reminder_hours=tuple(self.reminder_hours if self.reminder_hours is not None else DEFAULT_REMINDER_HOURS),
            team_assignment=self.team_assignment,
            reviews_by_team=bool(self.reviews_by_team),
        )

    @property
    def calibration_policy(self) -> CalibrationPolicy:
        return CalibrationPolicy(
            examples_required=self.calibration_examples_required,
            pass_accuracy=self.calibration_pass_accuracy,
            attempts=self.calibration_attempts,
        )

    def apply(self, settings: AssignmentSettings) -> None:
        """Copy validated settings onto the row."""
        timeline, late = settings.timeline, settings.late_policy
        self.title = settings.title.strip()
        self.timezone = settings.timezone
        self.instructions_html = settings.instructions_html
        self.instructions_markdown = settings.instructions_markdown
        self.submission_opens, self.submission_due = timeline.submission_opens, timeline.submission_due
        self.calibration_opens, self.calibration_due = timeline.calibration_opens, timeline.calibration_due
        self.review_opens, self.review_due = timeline.review_opens, timeline.review_due
        self.results_release = timeline.results_release
        self.accept_late, self.late_until = late.accept_late, late.late_until
        self.late_penalty_per_day = late.penalty_per_day
        self.reviews_per_submission = settings.reviews_per_submission
        self.reviews_per_student = settings.reviews_per_student
        self.self_assessment = settings.self_assessment
        self.anonymity = settings.anonymity
        self.submission_weight = settings.submission_weight
        self.aggregation = settings.aggregation
        self.points_possible = settings.points_possible
        self.submission_kinds = settings.submission_kinds
        self.file_types = list(settings.file_types)
        self.max_file_mb = settings.max_file_mb
        self.reviewers_may_download = settings.reviewers_may_download
        self.allocation_mode = settings.allocation_mode
        self.reviewers_need_submission = settings.reviewers_need_submission
        self.lease_hours = settings.lease_hours
        self.bonus_review_points = settings.bonus_review_points
        self.flexible_grading_days = settings.flexible_grading_days
        self.zero_for_missing_work = settings.zero_for_missing_work
        self.review_strictness = settings.review_strictness
        self.calibration_examples_required = settings.calibration.examples_required
        self.calibration_pass_accuracy = settings.calibration.pass_accuracy
        self.calibration_attempts = settings.calibration.attempts
        self.reminder_hours = list(settings.reminder_hours)
        self.team_assignment = settings.team_assignment
        self.reviews_by_team = settings.team_assignment and settings.reviews_by_team


class Submission(Base):
    """One student's work for one assignment; its versions are every hand-in, the latest counts."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "author_id"),
        # The review queue walks this index in its own order and stops at the first eligible submission.
        Index("ix_submissions_queue", "assignment_id", "review_load", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    # In a team assignment: the member who first handed in (kept on a remaining member when they leave the team).
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The team whose work this is, in a team assignment: one submission per team, any member hands in.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    # What reviewers see instead of the author's name (a team's anonymous code for a team's work).
    pseudonym: Mapped[str] = mapped_column(String(16))
    # Peer reviews submitted or held under an unexpired lease: the review queue's ordering key, kept on the row
    # so that PostgreSQL re-checks it when two reviewers reach for the same submission at once.
    review_load: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Person] = relationship()
    team: Mapped[Team | None] = relationship()
    versions: Mapped[list[SubmissionVersion]] = relationship(
        back_populates="submission", order_by="SubmissionVersion.number", passive_deletes=True
    )

    @property
    def latest(self) -> SubmissionVersion | None:
        return self.versions[-1] if self.versions else None


class SubmissionVersion(Base):
    """One hand-in: sanitised text, an anonymised file, or both."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text_html: Mapped[str] = mapped_column(Text, default="")
    file_key: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_kind: Mapped[str | None] = mapped_column(String(16))
    file_size: Mapped[int | None] = mapped_column(Integer)
    # A DOCX or ODT read in the browser: a PDF made from the anonymised file, beside it in storage; or why not.
    reading_copy_key: Mapped[str | None] = mapped_column(String(255))
    reading_copy_failed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0)  # fraction of the grade taken off
    # Which member handed this version in (a team's work); shown to staff only. None before it was kept.
    handed_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship(back_populates="versions")
    handed_in_by: Mapped[Person | None] = relationship()


class Team(Base):
    """A team of a team assignment: its name, for staff, and the anonymous code reviewers know its work by."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("assignment_id", "code"), UniqueConstraint("assignment_id", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(8))  # "T3KQ": reviewers read "Team T3KQ", never the name or members
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamMembership(Base):
    """A student's time in a team: from, until (None while they are in it), and who placed them there and when.

    A move ends one membership and starts another, so every change stays on record."""

    __tablename__ = "team_memberships"
    __table_args__ = (
        # A student is in at most one team of an assignment at a time.
        Index("uq_team_memberships_current", "assignment_id", "person_id", unique=True,
              postgresql_where=text("until IS NULL"), sqlite_where=text("until IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime]
    until: Mapped[datetime | None]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who ended the membership (moved the student on), kept with `until`.
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    changed_by: Mapped[Person | None] = relationship(foreign_keys=[changed_by_id])
    ended_by: Mapped[Person | None] = relationship(foreign_keys=[ended_by_id])


class TeammateRating(Base):
    """One member's ratings of one teammate (or of themselves) on the evaluation's criteria, and their comment.

    Teammates never see each other's rows; staff see them all."""

    __tablename__ = "teammate_ratings"
    # One row per pair: a second save (another tab) updates it rather than adding a second opinion.
    __table_args__ = (UniqueConstraint("assignment_id", "rater_id", "ratee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    scores: Mapped[dict[str, float]] = mapped_column(JSONDocument)  # criterion key -> rating
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rater: Mapped[Person] = relationship(foreign_keys=[rater_id])
    ratee: Mapped[Person] = relationship(foreign_keys=[ratee_id])


class ContributionOverride(Base):
    """A contribution factor staff set for one member in place of the one their teammates' ratings give, and why."""

    __tablename__ = "contribution_overrides"
    __table_args__ = (UniqueConstraint("assignment_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    factor: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)  # the member reads it on their grade's explanation
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationExample(Base):
    """An instructor-graded example students practise assessing; its reference is the instructor's assessment."""

    __tablename__ = "calibration_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    text_html: Mapped[str] = mapped_column(Text, default="")
    file_key: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_kind: Mapped[str | None] = mapped_column(String(16))
    reference: Mapped[dict[str, float] | None] = mapped_column(JSONDocument)  # criterion key -> points
    explanations: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationAttempt(Base):
    """One student's assessment of one example, and how close it came to the reference."""

    __tablename__ = "calibration_attempts"
    __table_args__ = (UniqueConstraint("example_id", "student_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("calibration_examples.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    selections: Mapped[dict[str, float]] = mapped_column(JSONDocument)
    accuracy: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewKind(enum.StrEnum):
    PEER = "peer"
    SELF = "self"
    STAFF = "staff"  # counted as a known grade when grades are computed


class ReviewStatus(enum.StrEnum):
    ASSIGNED = "assigned"  # handed to the reviewer, a draft at most
    SUBMITTED = "submitted"
    EXPIRED = "expired"  # the lease ran out before submission; the submission went back to the pool
    REMOVED = "removed"  # taken away by staff


class Review(Base):
    """A reviewer's assessment of a submission with the rubric, from assignment (lease) to submission."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id", "kind"),
        Index("ix_reviews_open_leases", "assignment_id", "status", "lease_expires_at"),
        Index("ix_reviews_reviewer", "reviewer_id", "assignment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    # The version handed to the reviewer (the latest at that moment): what they read and assess, never a later one.
    submission_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_versions.id", ondelete="CASCADE"), index=True
    )
    # The student who took the review (of a team's review: the member who claimed it for the team).
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # A team's review (the assignment's reviews_by_team): every member of this team may read and write it.
    reviewing_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReviewKind] = mapped_column(_enum(ReviewKind, 16))
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus, 16))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None]  # None: assigned for good (static allocation, staff, self)
    # Served after every submission had its k reviews, so a reviewer who still owed reviews could finish.
    beyond_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    # Offered to, and taken by, a reviewer who had done their quota, for work short of its k reviews. Only a server
    # default, as instructions_markdown: inserts by the schema of older revisions omit it.
    bonus: Mapped[bool] = mapped_column(Boolean, server_default=false())
    submitted_at: Mapped[datetime | None]
    selections: Mapped[dict[str, float]] = mapped_column(JSONDocument, default=dict)
    comments: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    score: Mapped[float | None] = mapped_column(Float)  # on the assignment's points, set on submission
    helpfulness: Mapped[int | None] = mapped_column(Integer)  # 1-5, given by the author after release
    helpfulness_comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Raised by every change made through the ORM; the review form carries the one it was loaded at, so a save from
    # a stale tab is told the review changed instead of overwriting part of it.
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    submission: Mapped[Submission] = relationship()
    submission_version: Mapped[SubmissionVersion | None] = relationship()
    reviewer: Mapped[Person] = relationship()
    reviewing_team: Mapped[Team | None] = relationship()

    @property
    def assessed_version(self) -> SubmissionVersion | None:
        """The version this review assesses; for a row older than that record, the latest handed in before it."""
        if self.submission_version is not None:
            return self.submission_version
        before = [version for version in self.submission.versions if version.submitted_at <= self.assigned_at]
        return before[-1] if before else None

    def is_open(self, now: datetime) -> bool:
        """Still the reviewer's to work on: assigned, and its lease (if any) not run out."""
        return self.status is ReviewStatus.ASSIGNED and (self.lease_expires_at is None or self.lease_expires_at > now)


class ReviewSave(Base):
    """One save of a team's review: which member saved (or submitted) it, when, and the review's version it made.

    Staff read them to see who wrote what; the authors and the other teams never do."""

    __tablename__ = "review_saves"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer)
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person | None] = relationship()


class FlagReason(enum.StrEnum):
    UNFAIR = "unfair"
    INAPPROPRIATE = "inappropriate"


class ReviewFlag(Base):
    """An author's objection to a review they received, waiting for staff."""

    __tablename__ = "review_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[FlagReason] = mapped_column(_enum(FlagReason, 16))
    explanation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship()


class Grade(Base):
    """A student's computed grade for an assignment, with its parts, doubts, any staff override and its release."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("assignment_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    submission_score: Mapped[float | None] = mapped_column(Float)  # the aggregated peer score, on the points
    submission_std: Mapped[float | None] = mapped_column(Float)
    reviews_received: Mapped[int] = mapped_column(Integer, default=0)
    submission_points: Mapped[float] = mapped_column(Float, default=0.0)
    reviewing_points: Mapped[float] = mapped_column(Float, default=0.0)
    late_deduction: Mapped[float] = mapped_column(Float, default=0.0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    attention: Mapped[list[str]] = mapped_column(JSONDocument, default=list)  # why staff should look first
    # How the peer score was reached, review by review (see assessment.score_explanation); None before it was kept.
    score_explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # How teammates' ratings moved a team member's grade (see assessment.team_grades); None: not moved by them.
    contribution: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    override_total: Mapped[float | None] = mapped_column(Float)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    override_at: Mapped[datetime | None]
    released_total: Mapped[float | None] = mapped_column(Float)
    released_at: Mapped[datetime | None]
    # The grade as it was released (see `snapshot`): what the student reads until staff release again.
    released_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])

    def snapshot(self) -> dict[str, Any]:
        """Everything the student's page shows of this grade, as it stands now."""
        return grade_snapshot(self)

    @property
    def released_final(self) -> float | None:
        return released_final(self)

    @property
    def changed_since_release(self) -> bool:
        """Released, and recomputed or overridden since, so that students and the gradebook hold an older grade."""
        return changed_since_release(self)

    @property
    def final(self) -> float:
        return final_grade(self)

    @property
    def held(self) -> bool:
        """Doubtful and not yet settled by staff: posted as PendingManual rather than as a final grade."""
        return grade_held(self)


# The rules of a grade's state as functions of its columns, so that a page reading the columns alone (a row of a
# grades query, without loading the model) follows the very same rules as a loaded `Grade`.
def final_grade(grade: Any) -> float:
    return grade.override_total if grade.override_total is not None else grade.total


def grade_held(grade: Any) -> bool:
    return holds_grade(grade.attention or ()) and grade.override_total is None


def grade_snapshot(grade: Any) -> dict[str, Any]:
    snapshot = {
        "final": final_grade(grade), "total": grade.total, "held": grade_held(grade),
        "submission_points": grade.submission_points, "reviewing_points": grade.reviewing_points,
        "late_deduction": grade.late_deduction, "reviews_received": grade.reviews_received,
        "peer_score": None if grade.submission_score is None else round(grade.submission_score, 2),
        "override_reason": grade.override_reason if grade.override_total is not None else "",
        "score_explanation": grade.score_explanation,
    }
    # Only where teammates' ratings moved the grade: snapshots released before they could stay equal to it.
    if grade.contribution is not None:
        snapshot["contribution"] = student_contribution(grade.contribution)
    return snapshot


# What a member may read of their contribution: their own numbers and the explanation; the warnings about them and
# the team's notes are for staff only.
STUDENT_CONTRIBUTION_KEYS = ("team_points", "factor", "applied", "points", "explanation")


def student_contribution(document: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if document is None else {key: document[key] for key in STUDENT_CONTRIBUTION_KEYS if key in document}


def released_final(grade: Any) -> float | None:
    if grade.released_snapshot is not None:
        return float(grade.released_snapshot["final"])
    return grade.released_total


def changed_since_release(grade: Any) -> bool:
    if grade.released_snapshot is not None:
        return grade_snapshot(grade) != grade.released_snapshot
    return grade.released_total is not None and grade.released_total != final_grade(grade)


# The columns those rules read.
GRADE_STATE_COLUMNS = ("total", "override_total", "override_reason", "attention", "submission_score", "submission_std",
                       "submission_points", "reviewing_points", "late_deduction", "reviews_received",
                       "score_explanation", "released_at", "released_total", "released_snapshot", "contribution")


class StoredAdvice(Base):
    """The grading advice of an assignment (see assessment.grading_advice) as its last grading run or override left it:
    person ids only, so that names are those of the day the advice is read."""

    __tablename__ = "grading_advice"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class GradingRun(Base):
    """When grading last ran for an assignment (by the beat or by staff), whether or not it wrote a grade: a run that
    graded nobody (every student's extension still running; no work, and no grade for missing work) is not owed
    again until something changes. A row of its own, written after the grades: the assignment's row would make every
    hand-in and rating wait for a run, and a release (which locks the assignment, then the grades) wait in a circle."""

    __tablename__ = "grading_runs"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    ran_at: Mapped[datetime]


class PostingStatus(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    POSTED = "posted"
    FAILED = "failed"  # a permanent refusal; kept with the platform's answer for staff


class GradePosting(Base):
    """The grade outbox: one row per student per release, posted to the gradebook exactly once."""

    __tablename__ = "grade_postings"
    __table_args__ = (
        UniqueConstraint("release_id", "person_id"),
        Index("ix_grade_postings_due", "status", "next_attempt_at"),
        # A release reads each student's latest posting; the assignment alone would walk every release ever made.
        Index("ix_grade_postings_latest", "assignment_id", "person_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    release_id: Mapped[str] = mapped_column(String(32))
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    grading_progress: Mapped[str] = mapped_column(String(32))  # FullyGraded, or PendingManual when held
    activity_progress: Mapped[str] = mapped_column(String(32), server_default="Completed")  # see score_progress
    comment: Mapped[str] = mapped_column(Text, default="")
    # Platforms refuse a score not newer than the last one for the same student and column.
    timestamp: Mapped[datetime]
    status: Mapped[PostingStatus] = mapped_column(_enum(PostingStatus, 16), default=PostingStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    # The worker process holding the row in flight (workers/liveness.py): once it is gone the row is taken back early.
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")  # in English, for logs and exports of old rows
    # The same reason as its message template and parameters (assessment/messages.py), read in the reader's language.
    last_error_message: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()

    @property
    def error_message(self) -> str:
        """Why the last attempt failed: a `Message` when one was kept, else the English text stored before."""
        return message_from_document(self.last_error_message, self.last_error or "")

    def record_error(self, message: str) -> None:
        self.last_error, self.last_error_message = str(message)[:2000], message_document(message)


class AccessTokenCache(Base):
    """Platform access tokens shared by worker processes when there is no Redis to share them."""

    __tablename__ = "access_tokens"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class FileCheckStatus(enum.StrEnum):
    CHECKING = "checking"  # waiting for a worker, or being checked
    READY = "ready"  # passed: it became a version
    REFUSED = "refused"


class FileCheck(Base):
    """A hand-in with a file, kept apart until a worker has checked and stripped the file: it becomes a version only
    when the file passes, so no reviewer or staff member can reach a file that has not (see assessment.file_checks).
    """

    __tablename__ = "file_checks"
    __table_args__ = (
        UniqueConstraint("submission_id", "number"),
        Index("ix_file_checks_status", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    # The version number this hand-in takes when it passes, given at upload so versions keep the order of hand-ins.
    number: Mapped[int] = mapped_column(Integer)
    text_html: Mapped[str] = mapped_column(Text, default="")
    # "upload.<extension>" of the student's file name: the kind check needs the extension, and the rest of the name
    # (often the author's own) is not kept.
    claimed_name: Mapped[str] = mapped_column(String(64))
    file_types: Mapped[list[str]] = mapped_column(JSONDocument, default=list)  # accepted when it was handed in
    # The file as uploaded, in storage under a quarantine key no route serves; None once the check ended.
    raw_key: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime]  # the upload: what lateness is counted from, however long the check takes
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0)
    handed_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[FileCheckStatus] = mapped_column(_enum(FileCheckStatus, 16), default=FileCheckStatus.CHECKING)
    # Why the file was refused: a translatable message ({"template", "params"}), shown in the reader's language.
    refusal: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("submission_versions.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]  # when a worker last started on it
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship()
    version: Mapped[SubmissionVersion | None] = relationship()


class ReminderStatus(enum.StrEnum):
    SENDING = "sending"  # claimed by a run before the message is handed to the mail server
    SENT = "sent"
    RETRY = "retry"  # the server refused before taking the message: sent again by a later run
    FAILED = "failed"  # given up, or not known to have arrived: never sent again, shown to staff
    NO_ADDRESS = "no_address"  # the LMS gave no e-mail address for the person


class Reminder(Base):
    """One e-mail to one person: a student's reminder before a deadline, or a staff member's daily summary.

    The row is claimed (inserted, unique) and committed before the message is sent, so that no run, retry or second
    beat sends it twice; a run that dies between the two leaves it "sending", which is later marked failed and shown
    to staff rather than sent again (at most once)."""

    __tablename__ = "reminders"
    __table_args__ = (
        # The claim: a reminder once per deadline and hours before it, so that a student whose own deadline moved
        # is reminded of the new one and never twice of the same; a summary once a day. A reminder always names its
        # deadline and a summary never does; a row without one is keyed as every row was before deadlines counted.
        Index("uq_reminders_deadline", "person_id", "assignment_id", "kind", "hours", "deadline", unique=True,
              postgresql_where=text("deadline IS NOT NULL"), sqlite_where=text("deadline IS NOT NULL")),
        Index("uq_reminders_without_deadline", "person_id", "assignment_id", "kind", "hours", "period", unique=True,
              postgresql_where=text("deadline IS NULL"), sqlite_where=text("deadline IS NULL")),
        Index("ix_reminders_status", "status", "next_attempt_at"),
        Index("ix_reminders_assignment", "assignment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # a ReminderKind, or "summary" for staff's daily summary
    hours: Mapped[int] = mapped_column(Integer, default=0)  # before the deadline; 0 for a summary
    period: Mapped[str] = mapped_column(String(10), default="")  # the summary's day (YYYY-MM-DD); "" for a reminder
    deadline: Mapped[datetime | None]  # the deadline reminded of (the class's or the student's own); None for a summary
    status: Mapped[ReminderStatus] = mapped_column(_enum(ReminderStatus, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")  # the mail server's answer, for staff
    # A summary's counts as they stood when it was due, so that a retry sends the same figures.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class WarningDismissal(Base):
    """Staff's decision that one kind of reviewer warning about one reviewer needs nothing more, until undone."""

    __tablename__ = "warning_dismissals"
    # One row per warning: a second dismissal (another tab, a colleague) finds the first and stores nothing.
    __table_args__ = (UniqueConstraint("assignment_id", "reviewer_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of assessment.reviewer_warnings.WARNING_KINDS
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Extension(Base):
    """Extra time or a date of their own for one step, given to one student or one team, with who, when and why.

    A row with `from_lms` holds the submission date the LMS sent for the student (Canvas's per-student due date)."""

    __tablename__ = "extensions"
    __table_args__ = (
        # One grant per step for a student (one from staff, one from the LMS) and for a team: a new one replaces it.
        Index("uq_extensions_person_step", "assignment_id", "person_id", "step", "from_lms", unique=True,
              postgresql_where=text("person_id IS NOT NULL"), sqlite_where=text("person_id IS NOT NULL")),
        Index("uq_extensions_team_step", "assignment_id", "team_id", "step", unique=True,
              postgresql_where=text("team_id IS NOT NULL"), sqlite_where=text("team_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    step: Mapped[Step] = mapped_column(_enum(Step, 16))
    extra_minutes: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[datetime | None]
    from_lms: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    team: Mapped[Team | None] = relationship()
    granted_by: Mapped[Person | None] = relationship(foreign_keys=[granted_by_id])

    @property
    def grant(self) -> Grant:
        extra = timedelta(minutes=self.extra_minutes) if self.extra_minutes is not None else None
        return Grant(self.step, extra=extra, until=self.until, from_lms=self.from_lms)
