"""The OIDC state is signed by the tool, expires, and carries what a relaunch needs."""

import pytest
from freezegun import freeze_time

from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.state import (
    STATE_COOKIE_PREFIX,
    STATE_COOKIE_SLOTS,
    STATE_MAX_AGE_SECONDS,
    LoginState,
    StateCookies,
    StateSigner,
)


def test_a_state_reads_back_with_its_nonce_and_login_params():
    signer = StateSigner("k" * 40)
    token, issued = signer.issue({"iss": "https://lms", "login_hint": "u1", "evil": "x", "lti_message_hint": ""})
    read = signer.read(token)
    assert read == issued
    assert read.login_params == {"iss": "https://lms", "login_hint": "u1"}


def test_a_state_signed_by_another_key_is_a_state_mismatch():
    token, _ = StateSigner("a" * 40).issue({})
    with pytest.raises(LaunchRejected, match="state mismatch"):
        StateSigner("b" * 40).read(token)


def test_a_missing_state_is_refused():
    with pytest.raises(LaunchRejected, match="no state"):
        StateSigner("k" * 40).read(None)


def test_a_state_older_than_ten_minutes_is_refused():
    signer = StateSigner("k" * 40)
    with freeze_time("2026-01-01 10:00:00"):
        token, _ = signer.issue({})
    with freeze_time("2026-01-01 10:11:00"), pytest.raises(LaunchRejected, match="10 minutes"):
        signer.read(token)


STATE = LoginState(state_id="abc", nonce="n")
SLOTS = [f"{STATE_COOKIE_PREFIX}{slot}" for slot in range(STATE_COOKIE_SLOTS)]


def test_a_new_login_takes_a_free_slot_and_never_a_name_of_its_own():
    taken = {SLOTS[0]: "1000000.x", SLOTS[1]: "1000000.y"}

    slot = StateCookies.of(taken).slot_for_new_login(now=1100)

    assert slot in SLOTS[2:]


def test_when_every_slot_holds_a_live_login_the_oldest_makes_room():
    cookies = {name: f"{1000000 + n}.state{n}" for n, name in enumerate(SLOTS)} | {SLOTS[3]: "999999.oldest"}

    assert StateCookies.of(cookies).slot_for_new_login(now=1100) == SLOTS[3]


def test_logins_within_one_second_still_make_room_oldest_first():
    issued_ms = [5000100, 5000200, 5000050, 5000300, 5000400]
    cookies = {name: f"{ms}.state{n}" for n, (name, ms) in enumerate(zip(SLOTS, issued_ms, strict=True))}

    assert StateCookies.of(cookies).slot_for_new_login(now=5000.5) == SLOTS[2]


def test_an_expired_login_frees_its_slot():
    cookies = {name: f"{2000000 + n}.state{n}" for n, name in enumerate(SLOTS)} | {SLOTS[4]: "1000000.expired"}

    assert StateCookies.of(cookies).slot_for_new_login(now=2000 + STATE_MAX_AGE_SECONDS) == SLOTS[4]


def test_a_launch_finds_its_state_in_any_slot_or_under_a_name_of_an_earlier_version():
    now = 5000.0
    cookies = StateCookies.of({SLOTS[2]: StateCookies.value(STATE, now), "other": "abc", "lti1p3-state-old": "old"})

    assert cookies.holding("abc") == SLOTS[2]
    assert cookies.holding("old") == "lti1p3-state-old"
    assert cookies.holding("missing") is None
    assert cookies.strays() == ["lti1p3-state-old"]
