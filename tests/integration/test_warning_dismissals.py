"""Dismissed reviewer warnings on a real database: one row however many dismiss at once, and the advice without them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from assessment.db import make_session_factory
from assessment.grading_advice import grading_advice
from assessment.models import Assignment, Person, WarningDismissal
from assessment.reviewer_warnings import ONE_SIDED
from assessment.warning_dismissals import WarningChoice, dismiss_warning
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.graded_class import graded_cohort
from tests.support.rows import see_committed

NOW = datetime.now(UTC)


def test_two_staff_dismissing_the_same_warning_at_once_store_one_dismissal(session, engine):
    cohort = graded_cohort(session, 12, NOW, lenient_by=3.0)
    lenient = cohort.student_ids[0]
    factory = make_session_factory(engine)

    def dismiss(own: Session, _: int) -> None:
        dismiss_warning(own, cohort.assignment_id, WarningChoice((lenient,), ONE_SIDED), cohort.student_ids[1], NOW)
        own.commit()

    outcomes = all_at_once_in_sessions(factory, [1, 2, 3], dismiss)

    assert errors_among(outcomes) == []
    rows = see_committed(session).execute(select(WarningDismissal.reviewer_id, WarningDismissal.kind)).all()
    assert rows == [(lenient, ONE_SIDED)]


def test_the_advice_counts_no_dismissed_warning_and_keeps_it_apart_with_who_and_when(session):
    cohort = graded_cohort(session, 12, NOW, lenient_by=3.0)
    lenient = cohort.student_ids[0]
    assignment = session.get(Assignment, cohort.assignment_id)
    before = grading_advice(session, assignment)
    assert [w.reviewer for w in before.warnings.one_sided] == [lenient] and len(before.dismissed) == 0

    session.execute(insert(WarningDismissal).values(assignment_id=assignment.id, reviewer_id=lenient, kind=ONE_SIDED,
                                                    dismissed_by_id=cohort.student_ids[1], dismissed_at=NOW))
    after = grading_advice(session, assignment)

    assert lenient not in after.warnings.reviewers and len(after.warnings) == len(before.warnings) - 1
    assert [w.reviewer for w in after.dismissed.one_sided] == [lenient]
    dismissal = after.dismissal(lenient, ONE_SIDED)
    dismisser = session.get(Person, cohort.student_ids[1])
    assert dismissal is not None and dismissal.at == NOW and dismisser is not None
    assert dismissal.by == dismisser.display_name != ""
