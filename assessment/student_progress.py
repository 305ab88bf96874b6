"""A student's way through one assignment: the steps in order, where each stands, what to do next, the grade explained."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from assessment.messages import message_from_document
from assessment.phases import HAND_IN_PHASES, Phase

BEFORE_REVIEW = (Phase.SETUP, Phase.SUBMISSION, Phase.CALIBRATION)


class StepKind(enum.StrEnum):
    SUBMIT = "submit"
    CALIBRATE = "calibrate"
    REVIEW = "review"
    SELF_ASSESS = "self_assess"
    RATE_TEAMMATES = "rate_teammates"
    FEEDBACK = "feedback"


class StepState(enum.StrEnum):
    DONE = "done"
    CURRENT = "current"  # open now
    UPCOMING = "upcoming"  # not open yet, or waiting for an earlier step
    MISSED = "missed"  # closed before it was done
    NOT_NEEDED = "not_needed"  # nothing to do here for this student


class Note(enum.StrEnum):
    """Why a step stands where it does, when its state alone does not say."""

    LATE = "late"  # handed in after the deadline
    LATE_WINDOW = "late_window"  # the deadline passed; late work is still accepted, with the policy's penalty
    NEEDS_SUBMISSION = "needs_submission"  # reviewing waits for the student's own work
    AFTER_CALIBRATION = "after_calibration"
    AFTER_REVIEWS = "after_reviews"  # self-assessment opens once the peer reviews are done
    NOT_PASSED = "not_passed"  # attempts used up below the target: done, the reviews weigh less
    IN_PROGRESS = "in_progress"  # a review was started and not submitted
    NOTHING_YET = "nothing_yet"  # no classmate's work can be handed out right now
    GRADE_HELD = "grade_held"  # course staff are checking the grade
    GRADE_PENDING = "grade_pending"  # results are out, the grade is not released yet


class Action(enum.StrEnum):
    SUBMIT = "submit"
    PRACTISE = "practise"
    REVIEW = "review"
    CONTINUE_REVIEW = "continue_review"
    SELF_ASSESS = "self_assess"
    RATE_TEAMMATES = "rate_teammates"
    READ_FEEDBACK = "read_feedback"
    WAIT = "wait"
    NONE = "none"


@dataclass(frozen=True)
class Dates:
    submission_opens: datetime
    submission_due: datetime
    late_until: datetime | None  # None when late work is refused
    calibration_opens: datetime | None
    calibration_due: datetime | None
    review_opens: datetime
    review_due: datetime
    results_release: datetime


@dataclass(frozen=True)
class Calibration:
    required: int  # examples to practise on; 0 when the assignment has no calibration step (or no examples)
    settled: int  # examples passed or out of attempts
    done: bool
    passed: bool


@dataclass(frozen=True)
class Reviewing:
    required: int
    done: int
    in_progress: bool  # the student holds a started review
    available: bool  # the queue could hand them work now (or has allocated some)
    needs_submission: bool  # the assignment lets only students who handed in review


@dataclass(frozen=True)
class TeammateRatingFacts:
    """A team member's ratings of their teammates (assessment.teammate_ratings decides the window)."""

    rated: int  # teammates (and themselves, when asked) rated so far
    to_rate: int
    window: str  # "not_yet", "open" or "closed"
    opens: datetime | None
    closes: datetime | None


@dataclass(frozen=True)
class Situation:
    """Where one student stands, as plain facts."""

    now: datetime
    phase: Phase
    dates: Dates
    submitted: bool
    submitted_late: bool
    calibration: Calibration
    reviewing: Reviewing
    self_assessment: bool  # the assignment asks for one
    self_assessed: bool
    self_assessment_started: bool
    grade_released: bool
    grade_held: bool
    teammate_rating: TeammateRatingFacts | None = None  # None: the assignment has no teammate evaluation


@dataclass(frozen=True)
class Step:
    kind: StepKind
    state: StepState
    due: datetime | None = None  # the deadline while open; None when there is none to show
    opens: datetime | None = None  # when an upcoming step opens, if the dates say
    done_count: int | None = None
    total_count: int | None = None
    note: Note | None = None


class _Counts(TypedDict):
    """A step's progress, passed to Step as keywords."""

    done_count: int
    total_count: int


@dataclass(frozen=True)
class NextStep:
    action: Action
    step: StepKind | None
    due: datetime | None  # the deadline to act by, or when the wait ends
    note: Note | None = None


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]
    next: NextStep

    @property
    def done(self) -> int:
        return sum(step.state is StepState.DONE for step in self.steps)

    @property
    def total(self) -> int:
        """Steps that count for this student: those not needed do not."""
        return sum(step.state is not StepState.NOT_NEEDED for step in self.steps)

    def step(self, kind: StepKind | str) -> Step | None:
        return next((step for step in self.steps if step.kind == kind), None)


def progress(situation: Situation) -> Progress:
    """The checklist of the student's steps, in order, and the one thing to do next."""
    submit = _submit_step(situation)
    can_review = not (situation.reviewing.needs_submission and submit.state is StepState.MISSED)
    steps = [submit]
    if situation.calibration.required:
        steps.append(_calibration_step(situation, can_review))
    steps.append(_review_step(situation, submit, can_review))
    if situation.self_assessment:
        steps.append(_self_assessment_step(situation, submit))
    if situation.teammate_rating is not None:
        steps.append(_teammate_rating_step(situation.teammate_rating))
    steps.append(_feedback_step(situation))
    return Progress(steps=tuple(steps), next=_next_step(steps))


def _future(moment: datetime | None, now: datetime) -> datetime | None:
    # A date already past says nothing useful about a step the instructor holds open (or closed) by hand.
    return moment if moment is not None and moment > now else None


# The hand-in step:
# 1. Handed in: done (noting lateness).
# 2. Open while the phase takes work and the dates accept it: up to the deadline, then in the late window; after the
#    submission phase, only when the late policy accepts late work (rule 2 of assessment/write_rules.py). Each date
#    is the first instant after what it closes, as in assessment/grading.py's SubmissionWindow.
# 3. Before the window opens: upcoming. After it closes (or once the phase moved past hand-in): missed.
def _submit_step(s: Situation) -> Step:
    dates = s.dates
    if s.submitted:
        return Step(StepKind.SUBMIT, StepState.DONE, note=Note.LATE if s.submitted_late else None)
    if s.phase is Phase.SETUP or s.now < dates.submission_opens:
        return Step(StepKind.SUBMIT, StepState.UPCOMING, opens=_future(dates.submission_opens, s.now))
    # Past the submission phase only late work is taken, so only where the policy gives a late window.
    if s.phase is Phase.SUBMISSION or (s.phase in HAND_IN_PHASES and dates.late_until is not None):
        if s.now < dates.submission_due:
            return Step(StepKind.SUBMIT, StepState.CURRENT, due=dates.submission_due)
        if dates.late_until is not None and s.now < dates.late_until:
            return Step(StepKind.SUBMIT, StepState.CURRENT, due=dates.late_until, note=Note.LATE_WINDOW)
    return Step(StepKind.SUBMIT, StepState.MISSED, due=dates.late_until or dates.submission_due)


# The calibration step (only when the assignment has one):
# 1. Settled every example: done (noting a miss of the target).
# 2. Pointless when the student can no longer review at all.
# 3. Open in the calibration and review phases; due by the calibration deadline, then by the review deadline.
def _calibration_step(s: Situation, can_review: bool) -> Step:
    calibration = s.calibration
    counts: _Counts = {"done_count": calibration.settled, "total_count": calibration.required}
    if calibration.done:
        return Step(StepKind.CALIBRATE, StepState.DONE, note=None if calibration.passed else Note.NOT_PASSED, **counts)
    if not can_review:
        return Step(StepKind.CALIBRATE, StepState.NOT_NEEDED, **counts)
    if s.phase in (Phase.SETUP, Phase.SUBMISSION):
        opens = s.dates.calibration_opens or s.dates.review_opens
        return Step(StepKind.CALIBRATE, StepState.UPCOMING, opens=_future(opens, s.now), **counts)
    if s.phase in (Phase.CALIBRATION, Phase.REVIEW):
        due = _future(s.dates.calibration_due, s.now) if s.phase is Phase.CALIBRATION else None
        return Step(StepKind.CALIBRATE, StepState.CURRENT, due=due or _future(s.dates.review_due, s.now), **counts)
    return Step(StepKind.CALIBRATE, StepState.MISSED, **counts)


# The peer-review step:
# 1. The required reviews submitted: done.
# 2. Waiting for the student's own work when the assignment asks for it: upcoming while they can still hand in,
#    missed once they cannot.
# 3. Before the review phase: upcoming. In it: waiting for calibration, or open (in progress, or nothing to
#    hand out right now). After it: missed, with the count reached.
def _review_step(s: Situation, submit: Step, can_review: bool) -> Step:
    reviewing = s.reviewing
    counts: _Counts = {"done_count": min(reviewing.done, reviewing.required), "total_count": reviewing.required}
    due = _future(s.dates.review_due, s.now)
    if reviewing.done >= reviewing.required:
        return Step(StepKind.REVIEW, StepState.DONE, **counts)
    if not can_review:
        return Step(StepKind.REVIEW, StepState.MISSED, note=Note.NEEDS_SUBMISSION, **counts)
    if s.phase in BEFORE_REVIEW:
        return Step(StepKind.REVIEW, StepState.UPCOMING, opens=_future(s.dates.review_opens, s.now), **counts)
    if s.phase is not Phase.REVIEW:
        return Step(StepKind.REVIEW, StepState.MISSED, **counts)
    if reviewing.needs_submission and submit.state is not StepState.DONE:
        return Step(StepKind.REVIEW, StepState.UPCOMING, due=due, note=Note.NEEDS_SUBMISSION, **counts)
    if s.calibration.required and not s.calibration.done:
        return Step(StepKind.REVIEW, StepState.UPCOMING, due=due, note=Note.AFTER_CALIBRATION, **counts)
    note = Note.IN_PROGRESS if reviewing.in_progress else None if reviewing.available else Note.NOTHING_YET
    return Step(StepKind.REVIEW, StepState.CURRENT, due=due, note=note, **counts)


# The self-assessment step (only when the assignment has one): the student's own work is needed; it opens in
# the review phase once the peer reviews are done.
def _self_assessment_step(s: Situation, submit: Step) -> Step:
    due = _future(s.dates.review_due, s.now)
    if s.self_assessed:
        return Step(StepKind.SELF_ASSESS, StepState.DONE)
    if submit.state is StepState.MISSED:
        return Step(StepKind.SELF_ASSESS, StepState.NOT_NEEDED)
    if s.phase in BEFORE_REVIEW:
        return Step(StepKind.SELF_ASSESS, StepState.UPCOMING, opens=_future(s.dates.review_opens, s.now))
    if s.phase is not Phase.REVIEW:
        return Step(StepKind.SELF_ASSESS, StepState.MISSED)
    if submit.state is not StepState.DONE or s.reviewing.done < s.reviewing.required:
        note = Note.AFTER_REVIEWS if submit.state is StepState.DONE else Note.NEEDS_SUBMISSION
        return Step(StepKind.SELF_ASSESS, StepState.UPCOMING, due=due, note=note)
    return Step(StepKind.SELF_ASSESS, StepState.CURRENT, due=due,
                note=Note.IN_PROGRESS if s.self_assessment_started else None)


# The teammate-rating step (only with teammate evaluation): done once every teammate is rated; not needed with
# nobody to rate; otherwise it follows the rating window: upcoming, open until results are released, then missed.
def _teammate_rating_step(facts: TeammateRatingFacts) -> Step:
    counts: _Counts = {"done_count": min(facts.rated, facts.to_rate), "total_count": facts.to_rate}
    if facts.to_rate == 0:
        return Step(StepKind.RATE_TEAMMATES, StepState.NOT_NEEDED, **counts)
    if facts.rated >= facts.to_rate:
        return Step(StepKind.RATE_TEAMMATES, StepState.DONE, **counts)
    if facts.window == "open":
        return Step(StepKind.RATE_TEAMMATES, StepState.CURRENT, due=facts.closes, **counts)
    if facts.window == "not_yet":
        return Step(StepKind.RATE_TEAMMATES, StepState.UPCOMING, opens=facts.opens, **counts)
    return Step(StepKind.RATE_TEAMMATES, StepState.MISSED, **counts)


def _feedback_step(s: Situation) -> Step:
    if s.phase is not Phase.RELEASED:
        return Step(StepKind.FEEDBACK, StepState.UPCOMING, opens=_future(s.dates.results_release, s.now))
    note = Note.GRADE_HELD if s.grade_held else None if s.grade_released else Note.GRADE_PENDING
    return Step(StepKind.FEEDBACK, StepState.CURRENT, note=note)


_ACTIONS = {
    StepKind.SUBMIT: Action.SUBMIT,
    StepKind.CALIBRATE: Action.PRACTISE,
    StepKind.REVIEW: Action.REVIEW,
    StepKind.SELF_ASSESS: Action.SELF_ASSESS,
    StepKind.RATE_TEAMMATES: Action.RATE_TEAMMATES,
    StepKind.FEEDBACK: Action.READ_FEEDBACK,
}


# The next step:
# 1. The first open step, in checklist order; a started review is continued; with nothing to hand out, wait.
# 2. Else the first upcoming one: wait until it opens (or for the step before it).
# 3. Else nothing is left.
def _next_step(steps: list[Step]) -> NextStep:
    for step in steps:
        if step.state is StepState.CURRENT:
            if step.note is Note.NOTHING_YET:
                return NextStep(Action.WAIT, step.kind, step.due, step.note)
            if step.kind is StepKind.REVIEW and step.note is Note.IN_PROGRESS:
                return NextStep(Action.CONTINUE_REVIEW, step.kind, step.due, step.note)
            return NextStep(_ACTIONS[step.kind], step.kind, step.due, step.note)
    for step in steps:
        if step.state is StepState.UPCOMING:
            return NextStep(Action.WAIT, step.kind, step.opens, step.note)
    return NextStep(Action.NONE, None, None)


@dataclass(frozen=True)
class GradeFacts:
    """A released grade as stored, with the assignment's scale and weights."""

    points_possible: float
    submission_weight: float  # percent of the points for the work; the rest is for reviewing
    peer_score: float | None  # the aggregated peer score, on the points; None when the work had none
    reviews_received: int
    submission_points: float  # before the late deduction
    reviewing_points: float
    late_deduction: float
    computed_total: float
    released_total: float  # what the student got: the computed total or a staff override
    contribution: Mapping[str, Any] | None = None  # how teammates' ratings moved a team member's work points


@dataclass(frozen=True)
class GradeExplanation:
    points_possible: float
    peer_score: float | None
    reviews_received: int
    submission_share: float  # the most the work can earn
    submission_points: float
    reviewing_share: float  # the most reviewing can earn
    reviewing_points: float
    late_deduction: float
    adjustment: float  # set by course staff on top of the computed total; 0 without an override
    final: float
    # Team work with teammates' ratings: the points they added to (or took from) the team's work, and why, in the
    # member's own numbers only.
    contribution_change: float = 0.0
    contribution_lines: tuple[str, ...] = ()


def explain_grade(facts: GradeFacts) -> GradeExplanation:
    """The parts that add up to the grade: work, reviewing, lateness, and any change made by course staff."""
    submission_share = facts.points_possible * facts.submission_weight / 100
    return GradeExplanation(
        points_possible=facts.points_possible,
        peer_score=facts.peer_score,
        reviews_received=facts.reviews_received,
        submission_share=submission_share,
        submission_points=round(facts.submission_points, 2),
        reviewing_share=facts.points_possible - submission_share,
        reviewing_points=round(facts.reviewing_points, 2),
        late_deduction=round(facts.late_deduction, 2),
        adjustment=round(facts.released_total - facts.computed_total, 2),
        final=facts.released_total,
        contribution_change=round(facts.contribution["points"] - facts.contribution["team_points"], 2)
        if facts.contribution else 0.0,
        contribution_lines=tuple(message_from_document(line) for line in facts.contribution.get("explanation", ()))
        if facts.contribution else (),
    )
