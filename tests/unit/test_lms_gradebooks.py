"""Which platforms are Canvas, and which launches name the student whose work a gradebook opens."""

from __future__ import annotations

import pytest

from lti_tool.lms_gradebooks import is_canvas, named_student, work_launch_url
from lti_tool.registry import Platform

LAUNCH = "https://peerlti.example.edu/lti/launch"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def _platform(issuer: str, auth: str) -> Platform:
    return Platform(name="LMS", issuer=issuer, client_id="1", auth_login_url=auth, auth_token_url=auth,
                    key_set_url=auth)


@pytest.mark.parametrize(("issuer", "auth", "canvas"), [
    ("https://canvas.instructure.com", "https://sso.canvaslms.com/api/lti/authorize_redirect", True),
    ("https://canvas.beta.instructure.com", "https://sso.beta.canvaslms.com/api/lti/authorize_redirect", True),
    ("https://canvas.test.instructure.com/", "https://sso.test.canvaslms.com/api/lti/authorize_redirect", True),
    ("https://lms.example.edu", "https://lms.example.edu/api/lti/authorize_redirect", True),  # self-hosted Canvas
    ("https://moodle.example.edu", "https://moodle.example.edu/mod/lti/auth.php", False),
    ("https://canvas.instructure.com.evil.example", "https://evil.example/auth", False),
])
def test_canvas_is_known_by_its_issuer_or_its_authorisation_endpoint(issuer, auth, canvas):
    assert is_canvas(_platform(issuer, auth)) is canvas


def test_a_submission_review_names_the_student_of_its_for_user_claim():
    claims = {CLAIM + "message_type": "LtiSubmissionReviewRequest", CLAIM + "for_user": {"user_id": "42"}}

    assert named_student(claims, LAUNCH) == "42"
    assert named_student(claims | {CLAIM + "for_user": {"user_id": ""}}, LAUNCH) is None
    assert named_student(claims | {CLAIM + "for_user": "42"}, LAUNCH) is None


def test_a_speedgrader_launch_names_the_student_of_peerlti_s_own_submission_url():
    subject = "a&b c/ü"
    target = work_launch_url(LAUNCH, subject)

    assert named_student({CLAIM + "target_link_uri": target}, LAUNCH) == subject


@pytest.mark.parametrize("target", [
    LAUNCH,                                                    # an ordinary launch
    "https://elsewhere.example/lti/launch?for_user=7",          # another host's URL
    "https://peerlti.example.edu/lti/other?for_user=7",         # another path of peerlti
    LAUNCH + "?for_user=7&for_user=8",                          # two students
    LAUNCH + "?for_user=",                                      # nobody
])
def test_other_targets_name_nobody(target):
    claims = {CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "target_link_uri": target}

    assert named_student(claims, LAUNCH) is None
