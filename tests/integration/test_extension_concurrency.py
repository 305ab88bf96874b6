"""Staff giving extensions at once (a double click, two tabs, a file uploaded twice): one extension is kept per
student or team and step, and no request fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from assessment.db import make_session_factory
from assessment.extensions import ExtensionRequest, grant_extension, import_extensions
from assessment.models import Extension, Person, Team, TeamMembership
from assessment.personal_dates import Step
from tests.integration.test_extensions import _class
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.rows import see_committed

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize("clicks", [2, 6])
def test_the_same_extension_given_at_once_is_kept_once_and_no_request_fails(session, engine, clicks):
    cohort, late, staff = _class(session)
    factory = make_session_factory(engine)

    def give(own_session: Session, hours: int) -> None:
        grant_extension(own_session, ExtensionRequest(cohort.assignment_id, Step.SUBMISSION, "Illness",
                                                      person_id=late, extra=timedelta(hours=hours)), staff, NOW)
        own_session.commit()

    outcomes = all_at_once_in_sessions(factory, [24 + click for click in range(clicks)], give)

    assert errors_among(outcomes) == []
    kept = see_committed(session).execute(select(Extension.person_id, Extension.extra_minutes)).all()
    assert len(kept) == 1 and kept[0][0] == late and kept[0][1] in {(24 + click) * 60 for click in range(clicks)}


def test_a_teams_extension_given_at_once_is_kept_once_and_no_request_fails(session, engine):
    cohort, late, staff = _class(session)
    team = session.scalar(insert(Team).returning(Team.id).values(assignment_id=cohort.assignment_id, name="Red",
                                                                   code="T3KQ"))
    session.execute(insert(TeamMembership).values(assignment_id=cohort.assignment_id, team_id=team, person_id=late,
                                                  since=NOW - timedelta(days=1)))
    session.commit()
    factory = make_session_factory(engine)

    def give(own_session: Session, _: int) -> None:
        grant_extension(own_session, ExtensionRequest(cohort.assignment_id, Step.REVIEW, "Field trip", team_id=team,
                                                      extra=timedelta(hours=12)), staff, NOW)
        own_session.commit()

    outcomes = all_at_once_in_sessions(factory, [0, 1, 2], give)

    assert errors_among(outcomes) == []
    assert see_committed(session).execute(select(Extension.team_id, Extension.extra_minutes)).all() == [(team, 720)]


def test_a_file_of_extensions_uploaded_twice_at_once_gives_each_once_and_no_upload_fails(session, engine):
    cohort, _, staff = _class(session)
    subjects = session.scalars(select(Person.subject).where(Person.id.in_(cohort.student_ids))).all()
    text = "student,step,extra_hours,reason\n" + "".join(f"{subject},submission,24,Illness\n" for subject in subjects)
    factory = make_session_factory(engine)

    def upload(own_session: Session, _: int) -> None:
        import_extensions(own_session, cohort.assignment_id, text, staff, NOW)
        own_session.commit()

    outcomes = all_at_once_in_sessions(factory, [0, 1], upload)

    assert errors_among(outcomes) == []
    kept = see_committed(session).scalars(select(Extension.person_id)).all()
    assert sorted(kept) == sorted(cohort.student_ids)
