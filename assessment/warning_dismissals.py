"""Staff's dismissals of reviewer warnings: storing one, undoing it, and reading an assignment's with who and when."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.errors import InvalidInput, NotFound, PhaseClosed
from assessment.messages import N_
from assessment.models import Grade, Person, Review, WarningDismissal
from assessment.reviewer_warnings import WARNING_KINDS

# 1. A dismissal is per (assignment, reviewer, kind of warning) and holds until staff undo it, whatever later grading
#    runs find: the evidence behind a warning moves a little with every run, and a warning that came back each time
#    would make dismissing it pointless. The dismissed warning is shown collapsed, with who dismissed it and when,
#    and no longer counts among the reviewers to check nor weighs on the work to grade first.
# 2. A reciprocal-marks warning names a clique: it is dismissed for each member at once, and stays dismissed only
#    while every member is (a student newly found in the clique brings it back).
# 3. Warnings come from computed grades: before the assignment has any, there is nothing to dismiss or undo.
# 4. Two staff (or two tabs) dismissing at once store one row: the unique key makes the later insert do nothing, and
#    the first keeps who and when.
MAX_MEMBERS = 100  # more reviewers than any clique names: a form beyond it did not come from the page

NO_GRADES = N_("Reviewer warnings come from computed grades: compute grades before dismissing a warning.")
UNKNOWN_REVIEWER = N_("No reviewer of this activity has that id: reload the page.")
CHOOSE_REVIEWER = N_("Choose a reviewer from the list of warnings.")
CHOOSE_KIND = N_("Choose one of the kinds of warning listed.")
LARGEST_ID = 2**31 - 1  # the database's integer: a larger id names no one, and must not reach the query


@dataclass(frozen=True)
class WarningChoice:
    """The warning a form names: its reviewers (a clique's members) and its kind, as checked."""

    reviewers: tuple[int, ...]
    kind: str

    @classmethod
    def parse(cls, reviewers: Collection[str], kind: str) -> WarningChoice:
        if kind not in WARNING_KINDS:
            raise InvalidInput({"kind": CHOOSE_KIND})
        ids = tuple(dict.fromkeys(_person_id(raw) for raw in reviewers))
        if not ids or len(ids) > MAX_MEMBERS:
            raise InvalidInput({"reviewer": CHOOSE_REVIEWER})
        return cls(ids, kind)


def _person_id(raw: str) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= LARGEST_ID:
        raise InvalidInput({"reviewer": CHOOSE_REVIEWER})
    return int(text)


@dataclass(frozen=True)
class Dismissal:
    reviewer_id: int
    kind: str
    by: str  # who dismissed it, as staff see their name; "" once that person is gone
    at: datetime


def dismissals(session: Session, assignment_id: int) -> dict[tuple[int, str], Dismissal]:
    """Every dismissal of the assignment by (reviewer, kind), with who made it: one statement."""
    rows = session.execute(
        select(WarningDismissal.reviewer_id, WarningDismissal.kind, WarningDismissal.dismissed_at, Person)
        .outerjoin(Person, Person.id == WarningDismissal.dismissed_by_id)
        .where(WarningDismissal.assignment_id == assignment_id)).all()
    return {(reviewer, kind): Dismissal(reviewer, kind, person.display_name if person else "", at)
            for reviewer, kind, at, person in rows}


def dismiss_warning(session: Session, assignment_id: int, choice: WarningChoice, staff_id: int,
                    now: datetime) -> None:
    """Rules 1-4 above; the caller commits."""
    _check(session, assignment_id, choice)
    # Both dialects spell "insert unless the unique row exists" alike, each from its own module; a savepoint would
    # do on PostgreSQL, but the SQLite driver commits when it releases one.
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(dialect_insert(WarningDismissal).values([
        {"assignment_id": assignment_id, "reviewer_id": reviewer, "kind": choice.kind, "dismissed_by_id": staff_id,
         "dismissed_at": now} for reviewer in choice.reviewers]).on_conflict_do_nothing())


def undo_dismissal(session: Session, assignment_id: int, choice: WarningChoice) -> None:
    """The warning counts again from the next page shown; undoing what is not dismissed changes nothing."""
    _check(session, assignment_id, choice)
    session.execute(delete(WarningDismissal).where(
        WarningDismissal.assignment_id == assignment_id, WarningDismissal.kind == choice.kind,
        WarningDismissal.reviewer_id.in_(choice.reviewers)))


def _check(session: Session, assignment_id: int, choice: WarningChoice) -> None:
    if not session.scalar(select(exists().where(Grade.assignment_id == assignment_id))):
        raise PhaseClosed(NO_GRADES)
    found = session.scalar(select(func.count(func.distinct(Review.reviewer_id))).where(
        Review.assignment_id == assignment_id, Review.reviewer_id.in_(choice.reviewers)))
    if found != len(choice.reviewers):
        raise NotFound(UNKNOWN_REVIEWER)
