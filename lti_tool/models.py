"""Every mapped table in one import, for Alembic and for creating schemas in tests."""

from assessment.models import (
    AccessTokenCache,
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    Course,
    Enrollment,
    FileCheck,
    Grade,
    GradePosting,
    Person,
    ResourceLink,
    Review,
    ReviewFlag,
    Submission,
    SubmissionVersion,
)
from lti_tool.installation.invites import RegistrationInvite
from lti_tool.launch.deep_linking import DeepLinkRequest
from lti_tool.launch.replay import ConsumedNonce
from lti_tool.registry import Deployment, Platform, ToolKey
from lti_tool.tab_session import TabSessionRow

__all__ = [
    "AccessTokenCache",
    "Assignment",
    "CalibrationAttempt",
    "CalibrationExample",
    "ConsumedNonce",
    "Course",
    "DeepLinkRequest",
    "Deployment",
    "Enrollment",
    "FileCheck",
    "Grade",
    "GradePosting",
    "Person",
    "Platform",
    "RegistrationInvite",
    "ResourceLink",
    "Review",
    "ReviewFlag",
    "Submission",
    "SubmissionVersion",
    "TabSessionRow",
    "ToolKey",
]
