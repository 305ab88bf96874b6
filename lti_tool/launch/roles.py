"""Reading LTI role URIs: who counts as course staff and who as a student."""

from __future__ import annotations

from collections.abc import Iterable

from assessment.models import CourseRole

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

# Context roles that may set up and grade, full URIs and the deprecated short forms.
STAFF_CONTEXT_ROLES = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"})
# Institution and system administrators manage the tool for everyone.
STAFF_ADMIN_ROLES = frozenset({
    LIS + "institution/person#Administrator",
    LIS + "system/person#Administrator",
    LIS + "system/person#SysAdmin",
})


def _context_role_name(role: str) -> str | None:
    """`...membership#Instructor` -> Instructor; `...membership/Instructor#TeachingAssistant` -> TeachingAssistant."""
    if role.startswith(LIS + "membership"):
        return role.rpartition("#")[2] or None
    if "/" not in role and "#" not in role:
        return role
    return None


def course_role(lti_roles: Iterable[str]) -> CourseRole:
    """Staff when any role is a staff role; every other role, known or not, gets student rights at most."""
    for role in lti_roles:
        if role in STAFF_ADMIN_ROLES or _context_role_name(role) in STAFF_CONTEXT_ROLES:
            return CourseRole.STAFF
    return CourseRole.STUDENT


# Administrators of the whole LMS (not of one course): they may invite another platform to register the tool.
PLATFORM_ADMIN_ROLES = frozenset({
    LIS + "institution/person#Administrator",
    LIS + "system/person#Administrator",
    LIS + "system/person#SysAdmin",
})


def is_platform_administrator(lti_roles: Iterable[str]) -> bool:
    """Whether the launch carries an institution or system administrator role (a course's own
    Administrator role does not count: it manages one course, not the LMS)."""
    return any(role in PLATFORM_ADMIN_ROLES for role in lti_roles)
