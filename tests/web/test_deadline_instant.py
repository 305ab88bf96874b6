"""The submission deadline is the first instant after the hand-in step: the page and the hand-in agree on each side."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from assessment.grading import LatePolicy
from assessment.models import Assignment, SubmissionVersion
from assessment.services import update_settings
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import page_text

MICRO = timedelta(microseconds=1)


def _deadline_with_reviewing_opening_at_it(session, policy: LatePolicy) -> datetime:
    """The default dates' shape (reviews open at the submission deadline), an hour from now; returns the deadline."""
    assignment = see_committed(session).scalars(select(Assignment)).one()
    settings = assignment.settings
    now = datetime.now(UTC)
    due = (now + timedelta(hours=1)).replace(microsecond=0)
    timeline = replace(settings.timeline, submission_opens=now - timedelta(days=10), submission_due=due,
                       review_opens=due, review_due=due + timedelta(days=7), results_release=due + timedelta(days=8))
    update_settings(session, assignment.id, replace(settings, timeline=timeline, late_policy=policy), now)
    session.commit()
    return due


def _at(monkeypatch, moment: datetime) -> None:
    for module in ("lti_tool.views.student", "lti_tool.views.student_home"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment)


def test_a_microsecond_before_the_deadline_the_page_says_due_and_the_work_is_on_time(student, session, monkeypatch):
    due = _deadline_with_reviewing_opening_at_it(session, LatePolicy(accept_late=False))
    _at(monkeypatch, due - MICRO)

    home = page_text(student.get("/links/{link}"))
    assert "Next: hand in your work" in home and "Hand in your work → Open now" in home
    assert "Hand in before" in home and "Hand in by" not in home
    response = student.post("/links/{link}/submission", {"text": "Just in time"})

    assert response.status_code == 200 and "Submitted: version 1" in response.text
    version = see_committed(session).scalars(select(SubmissionVersion)).one()
    assert (version.is_late, version.late_penalty) == (False, 0.0)


@pytest.mark.parametrize("after", [timedelta(0), MICRO])
def test_at_the_deadline_and_after_it_the_page_says_missed_and_the_work_is_refused(student, session, monkeypatch,
                                                                                  after):
    due = _deadline_with_reviewing_opening_at_it(session, LatePolicy(accept_late=False))
    _at(monkeypatch, due + after)
    counts = row_counts(session)

    home = page_text(student.get("/links/{link}"))
    response = student.post("/links/{link}/submission", {"text": "Too late"})

    assert "Next: hand in your work" not in home and "Hand in your work ✗ Missed Submissions closed" in home
    assert response.status_code == 409
    assert "The assignment is in its review phase and no longer accepts work." in page_text(response)
    assert row_counts(session) == counts


@pytest.mark.parametrize("after", [timedelta(0), MICRO])
def test_at_the_deadline_with_late_work_accepted_the_page_says_it_passed_and_the_work_is_a_day_late(
        student, session, monkeypatch, after):
    due = _deadline_with_reviewing_opening_at_it(session, LatePolicy(
        accept_late=True, late_until=datetime.now(UTC) + timedelta(days=3), penalty_per_day=10))
    _at(monkeypatch, due + after)

    assert "The deadline has passed. Late work is accepted until" in page_text(student.get("/links/{link}"))
    response = student.post("/links/{link}/submission", {"text": "A little late"})

    assert response.status_code == 200 and "(late)" in response.text
    version = see_committed(session).scalars(select(SubmissionVersion)).one()
    assert version.is_late and version.late_penalty == pytest.approx(0.1)
