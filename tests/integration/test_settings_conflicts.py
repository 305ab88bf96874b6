"""Settings saved from two tabs at once: the save whose form was filled before the other's landed is refused, even
when its request had read the assignment before the other committed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from assessment.db import make_session_factory
from assessment.errors import SettingsChanged
from assessment.models import Assignment
from assessment.services import update_settings
from tests.integration.test_extensions import _class
from tests.support.rows import see_committed

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_a_save_whose_request_read_the_settings_before_another_save_committed_is_refused(session, engine):
    cohort, _, _ = _class(session)
    factory = make_session_factory(engine)
    with factory() as first_tab, factory() as second_tab:
        # Both requests read the assignment (as every staff page does first), from the same settings.
        opened = first_tab.get(Assignment, cohort.assignment_id).settings
        held = second_tab.get(Assignment, cohort.assignment_id)  # as the view holds it while the request runs
        update_settings(first_tab, cohort.assignment_id, replace(opened, title="Saved first"), NOW,
                        seen=opened.fingerprint())
        first_tab.commit()

        with pytest.raises(SettingsChanged):
            update_settings(second_tab, cohort.assignment_id, replace(opened, reviews_per_student=4), NOW,
                            seen=opened.fingerprint())
        second_tab.rollback()
        assert held.id == cohort.assignment_id

    saved = see_committed(session).scalars(select(Assignment).where(Assignment.id == cohort.assignment_id)).one()
    assert (saved.title, saved.reviews_per_student) == ("Saved first", opened.reviews_per_student)
