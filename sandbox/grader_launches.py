"""Launches from the LMS's gradebook into one student's work: Canvas's SpeedGrader and Moodle's submission review."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.course import ResourceLink
from sandbox.runtime import Sandbox
from sandbox.store import LineItemNotFound

# canvas-lms app/controllers/lti/ims/scores_controller.rb: the score extension whose `basic_lti_launch` submission
# keeps `submission_data` as the submission's URL, which SpeedGrader launches (app/controllers/
# external_tools_controller.rb `retrieve` with that url: an LtiResourceLinkRequest whose target_link_uri is it).
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
# canvas-lms app/controllers/lti/ims/line_items_controller.rb: a line item's submission type extension.
CANVAS_SUBMISSION_TYPE = "https://canvas.instructure.com/lti/submission_type"
# What the lti_message_hint's subject starts with for each gradebook launch.
SUBMISSION_PREFIX = "submission="
REVIEW_PREFIX = "review="


@dataclass(frozen=True)
class GraderLaunch:
    """A gradebook launch: by whom, into which link, for which student, and (Canvas) the URL it targets."""

    link: ResourceLink
    student_id: str
    target_link_uri: str | None = None  # Canvas: the submission's URL; Moodle's submission review has none

    @property
    def is_submission_review(self) -> bool:
        return self.target_link_uri is None


def submission_subject(line_item_id: str, student_id: str) -> str:
    return f"{SUBMISSION_PREFIX}{line_item_id}/{student_id}"


def review_subject(link_id: str, student_id: str) -> str:
    return f"{REVIEW_PREFIX}{link_id}/{student_id}"


def is_grader_subject(subject: str) -> bool:
    return subject.startswith((SUBMISSION_PREFIX, REVIEW_PREFIX))


def grader_launch(sandbox: Sandbox, subject: str) -> GraderLaunch | None:
    """The gradebook launch a message hint's subject names, or None when it names nothing this course has."""
    prefix = SUBMISSION_PREFIX if subject.startswith(SUBMISSION_PREFIX) else REVIEW_PREFIX
    owner, _, student_id = subject.removeprefix(prefix).partition("/")
    student = sandbox.course.person(student_id)
    if student is None or not student.is_learner:
        return None
    if prefix == SUBMISSION_PREFIX:
        if not sandbox.endpoints.profile.is_canvas:
            return None
        return _canvas_submission(sandbox, owner, student_id)
    # mod/lti/grade.php: Moodle's grade report opens the activity's own link with the student named (for_user).
    if not sandbox.endpoints.profile.is_moodle:
        return None
    link = sandbox.course.resource_link(owner)
    return GraderLaunch(link, student_id) if link is not None else None


def submission_url(sandbox: Sandbox, line_item_id: str, student_id: str) -> str | None:
    """The URL of the student's latest `basic_lti_launch` submission on a line item, as Canvas keeps it."""
    try:
        history = sandbox.store.score_history(line_item_id).get(student_id, [])
    except LineItemNotFound:
        return None
    for score in reversed(history):
        extension = score.get(CANVAS_SUBMISSION)
        if isinstance(extension, dict) and extension.get("submission_type") == "basic_lti_launch":
            data = extension.get("submission_data")
            return data if isinstance(data, str) and data else None
    return None


def _canvas_submission(sandbox: Sandbox, line_item_id: str, student_id: str) -> GraderLaunch | None:
    line_item = sandbox.store.line_item(line_item_id)
    url = submission_url(sandbox, line_item_id, student_id)
    if line_item is None or url is None:
        return None
    # The assignment's own link: the line item's resource link (lib/lti/messages/resource_link_request.rb).
    link_id = line_item.get("resourceLinkId")
    link = sandbox.course.resource_link(link_id) if link_id else sandbox.course.resource_links[0]
    return GraderLaunch(link, student_id, url) if link is not None else None
