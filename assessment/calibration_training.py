"""Use cases of calibration: staff write graded examples, students practise on them and learn their accuracy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from assessment.calibration import (
    CalibrationStatus,
    CriterionComparison,
    ExampleRecord,
    accuracy,
    calibration_status,
    compare,
)
from assessment.errors import InvalidInput, NotFound, PhaseClosed
from assessment.messages import N_
from assessment.models import Assignment, CalibrationAttempt, CalibrationExample, CourseRole, Enrollment, Person
from assessment.phases import Phase
from assessment.services import get_assignment, plain_text, sanitise_html
from assessment.student_dates import dates_of
from assessment.write_rules import phase_for

# Calibration is practised before reviewing and may be finished during it.
CALIBRATION_PHASES = (Phase.CALIBRATION, Phase.REVIEW)
MAX_EXPLANATION_CHARACTERS = 20_000


@dataclass(frozen=True)
class ExampleInput:
    title: str
    text_html: str
    reference: Mapping[str, float]
    explanations: Mapping[str, str]


def examples(session: Session, assignment_id: int) -> list[CalibrationExample]:
    return list(session.scalars(select(CalibrationExample).where(CalibrationExample.assignment_id == assignment_id)
                                .order_by(CalibrationExample.position, CalibrationExample.id)))


def save_example(session: Session, assignment_id: int, entry: ExampleInput, example_id: int | None = None
                 ) -> CalibrationExample:
    """Create or change an example and its reference assessment, checked against the rubric."""
    assignment = get_assignment(session, assignment_id)
    rubric = assignment.rubric
    problems: dict[str, str] = {}
    if not entry.title.strip():
        problems["title"] = N_("Give the example a title students will see.")
    if not sanitise_html(entry.text_html):
        problems["text"] = N_("Paste the example's text: it is what students assess.")
    if rubric is None:
        problems["reference"] = N_("Write the rubric first: the reference assessment uses it.")
    else:
        missing = {c.key: N_("Give the reference score for “%(criterion)s”.", criterion=c.title) for c in rubric.criteria
                   if c.key not in entry.reference}
        problems.update(missing)
        if not missing:
            try:
                rubric.score(entry.reference, assignment.points_possible)
            except InvalidInput as refusal:
                problems.update(refusal.problems)
    if problems:
        raise InvalidInput(problems)
    example = _example(session, assignment_id, example_id) if example_id else CalibrationExample(
        assignment_id=assignment_id,
        position=(session.scalar(select(func.max(CalibrationExample.position))
                                 .where(CalibrationExample.assignment_id == assignment_id)) or 0) + 1,
    )
    example.title = entry.title.strip()[:200]
    example.text_html = sanitise_html(entry.text_html)
    example.reference = dict(entry.reference)
    example.explanations = {key: plain_text(text, MAX_EXPLANATION_CHARACTERS) for key, text in entry.explanations.items()
                            if text.strip()}
    session.add(example)
    session.flush()
    return example


def delete_example(session: Session, assignment_id: int, example_id: int) -> None:
    session.delete(_example(session, assignment_id, example_id))
    session.flush()


def _example(session: Session, assignment_id: int, example_id: int) -> CalibrationExample:
    example = session.get(CalibrationExample, example_id)
    if example is None or example.assignment_id != assignment_id:
        raise NotFound(N_("That calibration example does not exist."))
    return example


def student_status(session: Session, assignment: Assignment, student_id: int) -> CalibrationStatus:
    return calibration_status_of(session, assignment, student_id)[1]


def calibration_status_of(session: Session, assignment: Assignment, student_id: int
                          ) -> tuple[list[int], CalibrationStatus]:
    """The assignment's examples in order and the student's calibration status, from one statement: every example
    with the student's attempts on it, in the order they were made."""
    rows = session.execute(
        select(CalibrationExample.id, CalibrationAttempt.accuracy)
        .outerjoin(CalibrationAttempt, and_(CalibrationAttempt.example_id == CalibrationExample.id,
                                            CalibrationAttempt.student_id == student_id))
        .where(CalibrationExample.assignment_id == assignment.id)
        .order_by(CalibrationExample.position, CalibrationExample.id, CalibrationAttempt.number)
    ).all()
    example_ids = list(dict.fromkeys(example_id for example_id, _ in rows))
    by_example: dict[int, list[float]] = {}
    for example_id, value in rows:
        if value is not None:
            by_example.setdefault(example_id, []).append(value)
    records = [ExampleRecord(example_id, tuple(values)) for example_id, values in by_example.items()]
    return example_ids, calibration_status(assignment.calibration_policy, example_ids, records)


def accuracies(session: Session, assignment: Assignment, student_ids: Collection[int]) -> dict[int, float]:
    """Each of these students' calibration accuracy, as `student_status` gives it, read in two statements for the
    class; a student who has not calibrated has none."""
    example_ids = [example.id for example in examples(session, assignment.id)]
    attempts: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for student, example, value in session.execute(
            select(CalibrationAttempt.student_id, CalibrationAttempt.example_id, CalibrationAttempt.accuracy)
            .join(CalibrationExample, CalibrationExample.id == CalibrationAttempt.example_id)
            .where(CalibrationExample.assignment_id == assignment.id)
            .order_by(CalibrationAttempt.number)):
        attempts[student][example].append(value)
    policy = assignment.calibration_policy
    found: dict[int, float] = {}
    # Students with the same attempts have the same accuracy: a class makes few distinct records, each settled once.
    settled: dict[tuple[ExampleRecord, ...], float | None] = {}
    for student, by_example in attempts.items():
        if student not in student_ids:
            continue
        records = tuple(ExampleRecord(example, tuple(values)) for example, values in by_example.items())
        if records not in settled:
            settled[records] = calibration_status(policy, example_ids, records).accuracy
        accuracy = settled[records]
        if accuracy is not None:
            found[student] = accuracy
    return found


@dataclass(frozen=True)
class AttemptResult:
    attempt: CalibrationAttempt
    comparison: list[CriterionComparison]  # empty while the reference stays hidden
    status: CalibrationStatus
    passed: bool  # this attempt reached the pass accuracy

    @property
    def retry_same_example(self) -> bool:
        return self.status.next_example == self.attempt.example_id


def attempt_example(session: Session, assignment_id: int, example_id: int, student_id: int,
                    selections: Mapping[str, float], now: datetime) -> AttemptResult:
    """Record a student's blind assessment of the example they are on, and compare it with the reference."""
    assignment = get_assignment(session, assignment_id)
    if phase_for(assignment, now, dates_of(session, assignment, student_id)) not in CALIBRATION_PHASES:
        raise PhaseClosed(N_("Calibration is open before and during reviewing."))
    status = student_status(session, assignment, student_id)
    if status.next_example != example_id:
        raise InvalidInput({"example": N_("This is not the example you are on; reload the page.")})
    example = _example(session, assignment_id, example_id)
    rubric = assignment.rubric
    if rubric is None or example.reference is None:
        raise PhaseClosed(N_("This example is not ready yet."))
    value = accuracy(rubric, selections, example.reference)
    number = (session.scalar(select(func.count()).where(CalibrationAttempt.example_id == example_id,
                                                        CalibrationAttempt.student_id == student_id)) or 0) + 1
    attempt = CalibrationAttempt(example_id=example_id, student_id=student_id, number=number,
                                 selections=dict(selections), accuracy=value, created_at=now)
    session.add(attempt)
    session.flush()
    after = student_status(session, assignment, student_id)
    # The reference is shown only once this example will not be given again (see calibration_status).
    comparison = (compare(rubric, selections, example.reference, example.explanations)
                  if example_id in after.revealed else [])
    return AttemptResult(attempt=attempt, comparison=comparison, status=after,
                         passed=value >= assignment.calibration_pass_accuracy)


@dataclass(frozen=True)
class CalibrationRow:
    student: Person
    status: CalibrationStatus


def calibration_overview(session: Session, assignment_id: int) -> list[CalibrationRow]:
    """Every student's calibration, for staff."""
    assignment = get_assignment(session, assignment_id)
    students = session.scalars(
        select(Person).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Person.family_name, Person.given_name, Person.id)
    ).all()
    return [CalibrationRow(student, student_status(session, assignment, student.id)) for student in students]
