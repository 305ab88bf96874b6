"""Every mapped table in one import, for Alembic and for creating schemas in tests."""

from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    Course,
    Enrollment,
    Person,
    ResourceLink,
    Review,
    ReviewFlag,
    Submission,
    SubmissionVersion,
)
from lti_tool.launch.deep_linking import DeepLinkRequest
from lti_tool.launch.replay import ConsumedNonce
from lti_tool.registry import Deployment, Platform, ToolKey

__all__ = [
    "Assignment",
    "CalibrationAttempt",
    "CalibrationExample",
    "ConsumedNonce",
    "Course",
    "DeepLinkRequest",
    "Deployment",
    "Enrollment",
    "Person",
    "Platform",
    "ResourceLink",
    "Review",
    "ReviewFlag",
    "Submission",
    "SubmissionVersion",
    "ToolKey",
]
