"""The LMS's due date kept at launch: launches of the same student at once store one row, each change once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.db import make_session_factory
from assessment.extensions import keep_lms_due, lms_due_kept
from assessment.models import Assignment, Extension
from tests.support.cohort import create_cohort
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.rows import see_committed

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize("launches", [2, 8])
def test_launches_at_once_carrying_the_lms_due_date_keep_one_row_and_none_fails(session, engine, launches):
    cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1, now=NOW)
    student = cohort.student_ids[0]
    assignment = session.get(Assignment, cohort.assignment_id)
    own = assignment.submission_due + timedelta(days=2)
    session.commit()
    factory = make_session_factory(engine)

    def launch(own_session: Session, _: int) -> None:
        keep_lms_due(own_session, own_session.get(Assignment, cohort.assignment_id), student, own, NOW,
                     lms_due_kept(own_session, cohort.assignment_id, student))
        own_session.commit()

    outcomes = all_at_once_in_sessions(factory, list(range(launches)), launch)

    assert errors_among(outcomes) == []
    rows = see_committed(session).execute(
        select(Extension.person_id, Extension.until, Extension.from_lms)).all()
    assert rows == [(student, own, True)]


def test_launches_at_once_with_different_lms_dates_leave_one_of_them(session, engine):
    cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1, now=NOW)
    student = cohort.student_ids[0]
    assignment = session.get(Assignment, cohort.assignment_id)
    dates = [assignment.submission_due + timedelta(days=day) for day in (1, 2, 3)]
    session.commit()
    factory = make_session_factory(engine)

    def launch(own_session: Session, due: datetime) -> None:
        keep_lms_due(own_session, own_session.get(Assignment, cohort.assignment_id), student, due, NOW,
                     lms_due_kept(own_session, cohort.assignment_id, student))
        own_session.commit()

    outcomes = all_at_once_in_sessions(factory, dates, launch)

    assert errors_among(outcomes) == []
    kept = see_committed(session).scalars(select(Extension.until)).all()
    assert len(kept) == 1 and kept[0] in dates


def test_a_later_launch_with_another_date_replaces_the_kept_one_and_the_class_date_drops_it(session):
    cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1, now=NOW)
    student = cohort.student_ids[0]
    assignment = session.get(Assignment, cohort.assignment_id)
    first, second = assignment.submission_due + timedelta(days=1), assignment.submission_due + timedelta(days=2)

    keep_lms_due(session, assignment, student, first, NOW, lms_due_kept(session, assignment.id, student))
    session.commit()
    keep_lms_due(session, assignment, student, second, NOW + timedelta(hours=1),
                 lms_due_kept(session, assignment.id, student))
    session.commit()
    assert see_committed(session).execute(select(Extension.until, Extension.granted_at)).all() == [
        (second, NOW + timedelta(hours=1))]

    keep_lms_due(session, assignment, student, assignment.submission_due, NOW,
                 lms_due_kept(session, assignment.id, student))
    session.commit()
    assert see_committed(session).scalars(select(Extension)).all() == []
