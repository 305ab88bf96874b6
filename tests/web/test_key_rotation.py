"""Rotating the tool's key keeps launches and platform service calls working."""

from __future__ import annotations

import requests
from sqlalchemy import select

from lti_tool.key_vault import signing_key
from lti_tool.keys import rotate_tool_key
from lti_tool.registry import Platform, ToolKey, current_tool_key, lti_registration
from tests.support.lms import launch_as
from tests.support.tokens import FreshTokenConnector

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def _published_kids(lms) -> list[str]:
    return [key["kid"] for key in requests.get(f"{lms.tool.url}/lti/jwks", timeout=10).json()["keys"]]


def _platform_grants_token_for(lms, session, key: ToolKey) -> str:
    platform = session.scalars(select(Platform)).one()
    connector = FreshTokenConnector(lti_registration(platform, signing_key(session, key)))
    return connector.get_access_token([SCORE_SCOPE])


def test_after_rotation_the_jwks_lists_the_current_and_previous_keys(lms, session):
    first = current_tool_key(session)
    second = rotate_tool_key(session)
    session.commit()

    assert _published_kids(lms) == [second.kid, first.kid]

    third = rotate_tool_key(session)
    session.commit()
    assert _published_kids(lms) == [third.kid, second.kid]


def test_launches_keep_working_across_a_rotation(lms, session):
    assert launch_as(lms, "student-1").status_code == 200
    rotate_tool_key(session)
    session.commit()

    assert launch_as(lms, "student-2").status_code == 200


def test_the_platform_accepts_assertions_signed_by_the_new_and_the_previous_key(lms, session):
    previous = current_tool_key(session)
    current = rotate_tool_key(session)
    session.commit()

    assert _platform_grants_token_for(lms, session, current)
    assert _platform_grants_token_for(lms, session, previous)
