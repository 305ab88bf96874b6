"""The scheduled sweep of consumed nonces: it removes only those whose id_tokens have expired, and replays stay refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import requests
from freezegun import freeze_time
from sqlalchemy import select

from lti_tool.launch.replay import ConsumedNonce
from tests.support.lms import begin_launch
from tests.support.rows import row_counts, see_committed
from workers.schedule import BEAT_SCHEDULE


def _sweep(lms) -> int:
    return lms.tool.app.extensions["peerlti.celery"].tasks["peerlti.forget_expired_nonces"].delay().get()


def test_the_sweep_is_on_the_beat_schedule():
    assert any(entry["task"] == "peerlti.forget_expired_nonces" for entry in BEAT_SCHEDULE.values())


def test_the_sweep_keeps_the_nonce_of_a_token_that_could_still_verify_and_its_replay_is_refused(lms, session):
    pending = begin_launch(lms, "student-4")
    state_cookie = {c.name: c.value for c in pending.browser.cookies if c.name.startswith("lti1p3-state-")}
    assert pending.post().status_code == 200

    assert _sweep(lms) == 0

    before = row_counts(session)
    replay = requests.post(pending.launch_url, data=pending.fields, cookies=state_cookie, timeout=10)
    assert replay.status_code == 400 and "already used (replayed id_token)" in replay.text
    assert row_counts(session) == before


def test_the_sweep_removes_nonces_once_their_tokens_expired_and_a_replay_is_still_refused(lms, session):
    pending = begin_launch(lms, "student-4")
    state_cookie = {c.name: c.value for c in pending.browser.cookies if c.name.startswith("lti1p3-state-")}
    assert pending.post().status_code == 200
    expires = datetime.fromtimestamp(jwt.decode(pending.fields["id_token"], options={"verify_signature": False})["exp"],
                                     UTC) + timedelta(seconds=lms.settings.clock_leeway_seconds)

    with freeze_time(expires + timedelta(seconds=1)):
        assert _sweep(lms) == 1
        assert see_committed(session).scalars(select(ConsumedNonce)).all() == []
        before = row_counts(session)
        replay = requests.post(pending.launch_url, data=pending.fields, cookies=state_cookie, timeout=10)

    # Its nonce is forgotten, but the token no longer verifies: refused, and nothing is written.
    assert replay.status_code in (400, 401), replay.text[:300]
    assert row_counts(session) == before
