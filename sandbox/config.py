"""The sandbox LMS's settings: who it is, where the tool lives, where it keeps its state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.throttle import ThrottleSettings


@dataclass(frozen=True)
class SandboxConfig:
    base_url: str
    tool_base_url: str
    instance_path: str
    client_id: str = "peerlti-sandbox"
    deployment_id: str = "sandbox-deployment-1"
    secret_key: str | None = None
    # A JWKS dict used instead of fetching the tool's key set (tests sign with their own key).
    tool_key_set: dict | None = None
    # requests' `verify=` for fetching the tool's JWKS: True, False or a CA bundle path.
    verify_tls: bool | str = True
    # Whether the course page offers LTI platform storage (lti_storage_target) to the tool it frames, as Canvas does.
    platform_storage: bool = True
    # Which LMS to behave like (sandbox/profiles.py): "spec" (the specifications), "canvas" or "moodle".
    lms: str = "spec"
    # Canvas: the course has concluded, so its students' enrolments are no longer active (scores get 422).
    course_concluded: bool = False
    # Canvas: due dates of the demo assignment by user id ("*" for everyone without an override), which
    # `$Canvas.assignment.dueAt.iso8601` in a link's custom parameters expands to.
    due_dates: Mapping[str, str] = field(default_factory=dict)
    # Canvas: the developer key's custom_fields, sent with every launch (a link's own custom parameters win).
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    # Learners added to the demo course's roster (student-7, student-8, ...), to page through a large course.
    extra_learners: int = 0
    # The LMS does not let the tool read the roster (NRPS is off for it); each profile refuses in its own way.
    roster_refused: bool = False
    # Every launch names the link's page in the LMS in the `activity_url` custom parameter, as an administrator sets
    # it up for the tool's reminder e-mails to link through the LMS.
    activity_urls: bool = False
    # The course has a second link, "Team project: Poster", for the instructor to set up as a team assignment (the
    # demo of `make run`; the tests' sandbox keeps the one essay link their gradebooks expect).
    team_project: bool = False
    # Canvas: the request throttle's leaky bucket (sandbox/throttle.py); None leaves it at Canvas's defaults.
    throttle: ThrottleSettings | None = None
