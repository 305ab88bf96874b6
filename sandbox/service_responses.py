"""JSON responses of the LTI services: media types, and errors in the shape each LMS profile answers them."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, current_app

from sandbox.profiles import LmsProfile

# The Rails status symbols Canvas names its errors by.
CANVAS_ERROR_TYPES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                      412: "precondition_failed", 422: "unprocessable_entity"}


def json_response(
    payload: Any, status: int = 200, media_type: str = "application/json", headers: Mapping[str, str] | None = None
) -> Response:
    body = current_app.json.dumps(payload)
    return Response(body, status=status, mimetype=media_type, headers=dict(headers or {}))


def service_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def profile_error(profile: LmsProfile, status: int, error: str, description: str, *, moodle_body: str = "") -> Response:
    """A refusal of an AGS or NRPS request, shaped as the profile's LMS shapes it.

    - spec: an OAuth-style `{"error", "error_description"}` object;
    - Canvas: `{"errors": {"type": <status name>, "message": ...}}` (canvas-lms
      app/controllers/lti/ims/concerns/lti_services.rb render_error);
    - Moodle: the message as the HTTP reason phrase and no JSON at all (mod/lti/classes/local/ltiservice/response.php;
      the resources set a code and a reason), except scores.php, whose body stays `[]`."""
    if profile.is_canvas:
        return json_response({"errors": {"type": CANVAS_ERROR_TYPES.get(status, str(status)),
                                          "message": description}}, status)
    if profile.is_moodle:
        # A reason phrase is one latin-1 line.
        reason = " ".join(description.split()).encode("latin-1", "replace").decode("latin-1") or HTTPStatus(status).phrase
        return Response(moodle_body, status=f"{status} {reason}", mimetype="text/html")
    return service_error(status, error, description)
