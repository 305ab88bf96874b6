"""Validation of the line items and scores tools send to the Assignment and Grade Services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.course import Course

ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
LINE_ITEM_TEXT_FIELDS = ("resourceId", "tag")
LINE_ITEM_DATE_FIELDS = ("startDateTime", "endDateTime")


class InvalidPayload(ValueError):
    """The body cannot be accepted; `status` follows what Canvas answers in the same case."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# canvas-lms app/controllers/lti/ims/line_items_controller.rb: the submission type extension Canvas keeps on a line
# item, `type` "none" or "external_tool" (an external tool assignment, launching `external_tool_url`).
CANVAS_SUBMISSION_TYPE = "https://canvas.instructure.com/lti/submission_type"
CANVAS_LINE_ITEM_SUBMISSION_TYPES = ("none", "external_tool")
# app/controllers/lti/ims/scores_controller.rb: the score's submission extension and the types it accepts.
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
CANVAS_SCORE_SUBMISSION_TYPES = ("none", "basic_lti_launch", "online_text_entry", "online_url", "external_tool",
                                 "online_upload")
# verify_valid_submitted_at: Setting 'ags_submitted_at_future_buffer', one minute.
CANVAS_SUBMITTED_AT_BUFFER = timedelta(minutes=1)


def line_item_fields(body: Any, course: Course, *, canvas: bool = False) -> dict[str, Any]:
    """The stored fields of a line item sent by a tool (its `id` is the platform's business); Canvas keeps its
    submission type extension too."""
    if not isinstance(body, dict):
        raise InvalidPayload("The body must be a JSON object.")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise InvalidPayload("label is required and must be a non-empty string.")
    fields: dict[str, Any] = {"label": label, "scoreMaximum": _positive_number(body, "scoreMaximum")}
    for name in LINE_ITEM_TEXT_FIELDS:
        if body.get(name) is not None:
            fields[name] = _text(body, name)
    for name in LINE_ITEM_DATE_FIELDS:
        if body.get(name) is not None:
            _moment(body, name)
            fields[name] = body[name]
    if body.get("resourceLinkId") is not None:
        link_id = _text(body, "resourceLinkId")
        if course.resource_link(link_id) is None:
            raise InvalidPayload(f"resourceLinkId {link_id!r} is not a resource link of this course.")
        fields["resourceLinkId"] = link_id
    if body.get("gradesReleased") is not None:
        if not isinstance(body["gradesReleased"], bool):
            raise InvalidPayload("gradesReleased must be true or false.")
        fields["gradesReleased"] = body["gradesReleased"]
    if canvas and body.get(CANVAS_SUBMISSION_TYPE) is not None:
        fields[CANVAS_SUBMISSION_TYPE] = _canvas_submission_type(body[CANVAS_SUBMISSION_TYPE])
    return fields


def _canvas_submission_type(extension: Any) -> dict[str, Any]:
    if not isinstance(extension, dict) or extension.get("type") not in CANVAS_LINE_ITEM_SUBMISSION_TYPES:
        raise InvalidPayload(f"{CANVAS_SUBMISSION_TYPE} type must be one of "
                             f"{', '.join(CANVAS_LINE_ITEM_SUBMISSION_TYPES)}.")
    if extension["type"] == "external_tool" and not isinstance(extension.get("external_tool_url"), str):
        raise InvalidPayload(f"{CANVAS_SUBMISSION_TYPE} external_tool_url is required for type external_tool.")
    return {"type": extension["type"], **({"external_tool_url": extension["external_tool_url"]}
                                          if extension["type"] == "external_tool" else {})}


def score_record(body: Any, course: Course) -> dict[str, Any]:
    """The score as it will be stored, after the checks AGS 2.0 and Canvas make.

    1. userId, activityProgress, gradingProgress and timestamp are required.
    2. userId must be a member of the course, and a learner (Canvas answers 422 otherwise).
    3. timestamp is ISO 8601 with a time zone, so histories compare without guessing.
    4. scoreGiven needs scoreMaximum > 0 and may not exceed it.
    """
    if not isinstance(body, dict):
        raise InvalidPayload("The body must be a JSON object.")
    for required in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if body.get(required) in (None, ""):
            raise InvalidPayload(f"{required} is required.")
    user_id = _text(body, "userId")
    person = course.person(user_id)
    if person is None:
        raise InvalidPayload(f"userId {user_id!r} is not a member of this course.")
    if not person.is_learner:
        raise InvalidPayload(f"userId {user_id!r} is not a student in this course.", status=422)
    if body["activityProgress"] not in ACTIVITY_PROGRESS:
        raise InvalidPayload(f"activityProgress must be one of {', '.join(sorted(ACTIVITY_PROGRESS))}.")
    if body["gradingProgress"] not in GRADING_PROGRESS:
        raise InvalidPayload(f"gradingProgress must be one of {', '.join(sorted(GRADING_PROGRESS))}.")
    _moment(body, "timestamp")
    if body.get("scoreGiven") is not None:
        given = _number(body, "scoreGiven")
        if given < 0:
            raise InvalidPayload("scoreGiven must not be negative.")
        maximum = _positive_number(body, "scoreMaximum")
        if given > maximum:
            raise InvalidPayload(f"scoreGiven {given} exceeds scoreMaximum {maximum}.")
    elif body.get("scoreMaximum") is not None:
        _positive_number(body, "scoreMaximum")
    if body.get("comment") is not None:
        _text(body, "comment")
    return dict(body)


def _text(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise InvalidPayload(f"{name} must be a string.")
    return value


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if value is None:
        raise InvalidPayload(f"{name} is required.")
    # bool is an int subclass in Python, but `true` is no score.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPayload(f"{name} must be a number.")
    return value


def _positive_number(body: dict[str, Any], name: str) -> float:
    value = _number(body, name)
    if value <= 0:
        raise InvalidPayload(f"{name} must be greater than 0.")
    return value


def _moment(body: dict[str, Any], name: str) -> datetime:
    value = _text(body, name)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidPayload(f"{name} must be an ISO 8601 date-time, got {value!r}.") from None
    if moment.tzinfo is None:
        raise InvalidPayload(f"{name} must include a time zone, got {value!r}.")
    return moment


def canvas_score_record(body: Any, course: Course, *, concluded: bool) -> dict[str, Any]:
    """The score as Canvas checks it, in the order of its before_actions (canvas-lms
    app/controllers/lti/ims/scores_controller.rb, concerns/gradebook_services.rb):

    1. the user must be an active student of the course: 422 "User not found in course or is not a student"
       (a concluded course's enrolments are no longer active, so every score there gets it too);
    2. userId, activityProgress, gradingProgress and timestamp are required (400);
    3. the timestamp must parse (400);
    4. scoreGiven needs scoreMaximum, which must be >= 0: 422. Canvas takes any progress value."""
    if not isinstance(body, dict):
        raise InvalidPayload("The body must be a JSON object.")
    person = course.person(str(body.get("userId", "")))
    if concluded or person is None or not person.is_learner:
        raise InvalidPayload("User not found in course or is not a student", status=422)
    for required in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if body.get(required) in (None, ""):
            raise InvalidPayload(f"param is missing or the value is empty: {required}")
    try:
        _moment(body, "timestamp")
    except InvalidPayload:
        raise InvalidPayload(f"Provided timestamp of {body['timestamp']} not a valid timestamp") from None
    if body.get("scoreGiven") is not None and body["gradingProgress"] in ("FullyGraded", "PendingManual"):
        if body.get("scoreMaximum") is None:
            raise InvalidPayload("ScoreMaximum not supplied when ScoreGiven present.", status=422)
        if not isinstance(body["scoreMaximum"], int | float) or body["scoreMaximum"] < 0:
            raise InvalidPayload("ScoreMaximum must be greater than or equal to 0", status=422)
    record = dict(body)
    extension = body.get(CANVAS_SUBMISSION)
    if isinstance(extension, dict):
        _check_submitted_at(extension.get("submitted_at"))
        # submit_homework: a type outside SCORE_SUBMISSION_TYPES is ignored (the default, external_tool, applies).
        if extension.get("submission_type") not in CANVAS_SCORE_SUBMISSION_TYPES:
            record[CANVAS_SUBMISSION] = {**extension, "submission_type": "external_tool"}
    return record


def _check_submitted_at(value: Any) -> None:
    """scores_controller.rb verify_valid_submitted_at: unparsable, or more than a minute ahead, is a 400."""
    if value in (None, ""):
        return
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidPayload(f"Provided submitted_at timestamp of {value} not a valid timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC) + CANVAS_SUBMITTED_AT_BUFFER:
        raise InvalidPayload(f"Provided submitted_at timestamp of {value} in the future")


def moodle_score_record(body: Any, course: Course) -> dict[str, Any]:
    """The score as Moodle checks it (mod/lti/service/gradebookservices/classes/local/resources/scores.php
    get_json_for_post_request): any missing field, a bad timestamp or number, or a user who cannot be graded in
    the course is one 400 "Incorrect score received"; scoreMaximum defaults to 1; a score that is not FullyGraded
    loses its scoreGiven."""
    if not isinstance(body, dict):
        raise InvalidPayload("Incorrect score received")
    person = course.person(str(body.get("userId", "")))
    incomplete = any(body.get(name) in (None, "") for name in ("userId", "timestamp", "gradingProgress",
                                                                "activityProgress"))
    if incomplete or person is None or not person.is_learner:
        raise InvalidPayload("Incorrect score received")
    try:
        _moment(body, "timestamp")
        for name in ("scoreGiven", "scoreMaximum"):
            if body.get(name) is not None:
                _number(body, name)
    except InvalidPayload:
        raise InvalidPayload("Incorrect score received") from None
    record = {"scoreMaximum": 1, **body}
    if record.get("scoreGiven") is not None and record["gradingProgress"] != "FullyGraded":
        record["scoreGiven"] = None
    return record
