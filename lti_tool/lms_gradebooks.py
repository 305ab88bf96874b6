"""Where instructors grade in their LMS: Canvas's submission extensions, and the gradebook launches naming a student."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from lti_tool.registry import Platform

# canvas-lms app/controllers/lti/ims/scores_controller.rb (EXTENSION_PARAMS) and line_items_controller.rb
# (`submission_type` on create): the extensions that make SpeedGrader show a tool's submission as a launch.
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
CANVAS_SUBMISSION_TYPE = "https://canvas.instructure.com/lti/submission_type"
# Canvas's hosted issuers (config/security.yml `lti_iss` per environment, lib/lti/messages/jwt_message.rb).
CANVAS_ISSUERS = frozenset({"https://canvas.instructure.com", "https://canvas.beta.instructure.com",
                            "https://canvas.test.instructure.com"})
# A self-hosted Canvas has its own issuer but the same OIDC endpoint (app/controllers/lti/ims/
# authentication_controller.rb, routed at /api/lti/authorize_redirect and /api/lti/authorize).
CANVAS_AUTH_PATHS = ("/api/lti/authorize_redirect", "/api/lti/authorize")
FOR_USER_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/for_user"
TARGET_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
MESSAGE_TYPE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/message_type"
SUBMISSION_REVIEW = "LtiSubmissionReviewRequest"
# peerlti's launch endpoint (lti_tool/launch/views.py), for workers, which build URLs without a request.
LAUNCH_PATH = "/lti/launch"
# The query parameter of peerlti's launch URL that names the student whose work a SpeedGrader launch opens.
FOR_USER_PARAMETER = "for_user"


def is_canvas(platform: Platform) -> bool:
    """Canvas by its issuer (hosted Canvas) or by its authorisation endpoint's path (self-hosted Canvas).

    Read from the registration, which workers have without a launch, rather than from a launch's tool_platform
    claim, which peerlti does not keep."""
    return platform.issuer.rstrip("/") in CANVAS_ISSUERS or urlsplit(platform.auth_login_url).path in CANVAS_AUTH_PATHS


def work_launch_url(launch_url: str, subject: str) -> str:
    """The launch URL SpeedGrader opens for one student's work: peerlti's launch URL naming the student."""
    return f"{launch_url}?{FOR_USER_PARAMETER}={quote(subject, safe='')}"


def canvas_score_extension(launch_url: str, subject: str, submitted_at: datetime) -> dict[str, Any]:
    """The score's submission extension: a `basic_lti_launch` submission, opened in SpeedGrader by launching its URL
    (scores_controller.rb submit_homework stores `submission_data` as the submission's url)."""
    return {CANVAS_SUBMISSION: {
        "submission_type": "basic_lti_launch",
        "submission_data": work_launch_url(launch_url, subject),
        "submitted_at": submitted_at.isoformat(timespec="milliseconds"),
    }}


def canvas_line_item_extension(launch_url: str) -> dict[str, Any]:
    """The line item's submission type: an external tool assignment launching peerlti (line_items_controller.rb)."""
    return {CANVAS_SUBMISSION_TYPE: {"type": "external_tool", "external_tool_url": launch_url}}


def named_student(claims: dict[str, Any], launch_url: str) -> str | None:
    """The LMS user id of the student a gradebook launch opens, or None for an ordinary launch.

    1. An LtiSubmissionReviewRequest names them in its for_user claim (Moodle's grade report, mod/lti/grade.php).
    2. A resource link launch names them when its target_link_uri is peerlti's launch URL with `for_user`
       (Canvas's SpeedGrader launching the submission URL peerlti gave with the score)."""
    if claims.get(MESSAGE_TYPE_CLAIM) == SUBMISSION_REVIEW:
        for_user = claims.get(FOR_USER_CLAIM)
        user_id = for_user.get("user_id") if isinstance(for_user, dict) else None
        return str(user_id) if user_id not in (None, "") else None
    target = claims.get(TARGET_CLAIM)
    if not isinstance(target, str):
        return None
    parts, ours = urlsplit(target), urlsplit(launch_url)
    if (parts.scheme, parts.netloc, parts.path) != (ours.scheme, ours.netloc, ours.path):
        return None
    values = parse_qs(parts.query).get(FOR_USER_PARAMETER) or []
    return values[0] if len(values) == 1 and values[0] else None
