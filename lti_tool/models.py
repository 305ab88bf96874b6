"""Every mapped table in one import, for Alembic and for creating schemas in tests."""

from assessment.models import Course, Enrollment, Person, ResourceLink
from lti_tool.launch.replay import ConsumedNonce
from lti_tool.registry import Deployment, Platform, ToolKey

__all__ = ["ConsumedNonce", "Course", "Deployment", "Enrollment", "Person", "Platform", "ResourceLink", "ToolKey"]
