"""The OIDC state is signed by the tool, expires, and carries what a relaunch needs."""

import pytest
from freezegun import freeze_time

from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.state import StateSigner


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
