"""Registration invitations in the database: single use even when two registrations race for one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from assessment.db import make_session_factory
from lti_tool.installation.invites import RegistrationInvite, consume_invite, issue_invite, valid_invite
from lti_tool.registry import PlatformSpec, register_platform


def _platform(session, client_id: str) -> int:
    platform = register_platform(session, PlatformSpec(
        name="LMS", issuer="https://lms.example.edu", client_id=client_id, auth_login_url="https://lms.example.edu/a",
        auth_token_url="https://lms.example.edu/t", key_set_url="https://lms.example.edu/k"))
    session.commit()
    return platform.id


def test_of_two_registrations_that_both_saw_a_valid_invitation_only_one_uses_it(engine, session):
    token = issue_invite(session, created_by="test")
    session.commit()
    first_platform, second_platform = _platform(session, "one"), _platform(session, "two")
    sessions = make_session_factory(engine)
    with sessions() as first, sessions() as second:
        assert valid_invite(first, token) is not None and valid_invite(second, token) is not None

        assert consume_invite(first, token, first_platform)
        first.commit()
        assert not consume_invite(second, token, second_platform)
        second.rollback()

    invite = session.scalars(select(RegistrationInvite)).one()
    session.refresh(invite)
    assert invite.platform_id == first_platform and invite.used_at is not None


def test_an_expired_invitation_is_neither_valid_nor_usable(session):
    issued = datetime.now(UTC) - timedelta(hours=25)
    token = issue_invite(session, created_by="test", hours=24, now=issued)
    session.commit()

    assert valid_invite(session, token) is None
    assert not consume_invite(session, token, _platform(session, "one"))


def test_only_the_hash_of_an_invitation_is_stored(session):
    token = issue_invite(session, created_by="test")
    session.commit()

    stored = session.scalars(select(RegistrationInvite)).one()
    assert token not in (stored.token_hash, stored.created_by) and len(stored.token_hash) == 64
