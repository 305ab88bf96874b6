"""Canvas's per-student due date (`$Canvas.assignment.dueAt.iso8601` in the `due_at` custom field): kept at launch as
the student's submission deadline when it differs, shown as the LMS's, and asked for by the tool's Canvas config."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from assessment.models import Assignment, Extension
from lti_tool.installation.canvas import canvas_configuration
from lti_tool.installation.dynamic import registration_request
from lti_tool.installation.values import ToolValues
from tests.support.rows import see_committed
from tests.support.tokens import CLAIM, genuine_launch, sign_token
from tests.support.visitor import Visitor, page_text


def _launch_with_due_at(lms, value: str, browser=None):
    pending, claims, header = genuine_launch(lms, "student-1", browser)
    claims[CLAIM + "custom"] = {**(claims.get(CLAIM + "custom") or {}), "due_at": value}
    response = pending.post(id_token=sign_token(lms, claims, header))
    assert response.status_code == 200, response.text[:300]
    return response, pending.browser


def test_the_canvas_configuration_asks_for_each_students_due_date():
    config = canvas_configuration(ToolValues("https://peerlti.example.edu"))
    assert config["custom_fields"] == {"due_at": "$Canvas.assignment.dueAt.iso8601"}


def test_a_students_own_lms_due_date_is_kept_shown_as_the_lmss_and_dropped_when_it_matches_again(lms, instructor,
                                                                                                  session):
    class_due = see_committed(session).scalar(select(Assignment.submission_due))
    own = (class_due + timedelta(days=3)).astimezone(UTC).replace(microsecond=0)

    home, browser = _launch_with_due_at(lms, own.isoformat().replace("+00:00", "Z"))

    kept = see_committed(session).scalars(select(Extension)).one()
    assert (kept.from_lms, kept.until) == (True, own)
    assert "the LMS's date for you" in page_text(home)
    _launch_with_due_at(lms, class_due.isoformat(), browser)
    assert see_committed(session).scalars(select(Extension)).all() == []


def test_an_unexpanded_or_broken_due_date_is_ignored_and_the_launch_goes_on(lms, instructor, session):
    for value in ("$Canvas.assignment.dueAt.iso8601", "next tuesday", "2026-12-08T23:59:00"):
        home, _ = _launch_with_due_at(lms, value)
        assert "Your steps" in page_text(home)
    assert see_committed(session).scalars(select(Extension)).all() == []


def test_a_launch_without_the_field_leaves_the_kept_lms_date_as_it_is(lms, instructor, session):
    assignment = see_committed(session).scalars(select(Assignment)).one()
    _launch_with_due_at(lms, (assignment.submission_due + timedelta(days=2)).isoformat())
    Visitor(lms, "student-1").launch()  # the sandbox's launch names no due_at: nothing is known, nothing changes
    assert see_committed(session).scalar(select(Extension.until)) == assignment.submission_due + timedelta(days=2)


def test_a_dynamic_registration_with_canvas_asks_for_each_students_due_date():
    body = registration_request(ToolValues("https://peerlti.example.edu"), "canvas")
    tool = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]

    assert tool["custom_parameters"] == {"due_at": "$Canvas.assignment.dueAt.iso8601"}
    assert [message["type"] for message in tool["messages"]] == ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]


@pytest.mark.parametrize("family", ["moodle", "Moodle", "", "fake"])
def test_a_dynamic_registration_with_another_lms_asks_for_no_canvas_variable(family):
    # Moodle would send the variable unexpanded at every launch: it is not Canvas's to expand there.
    body = registration_request(ToolValues("https://peerlti.example.edu"), family)
    tool = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]

    assert "custom_parameters" not in tool
    assert all("custom_parameters" not in message for message in tool["messages"])
