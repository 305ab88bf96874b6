"""Reading LTI role URIs: who counts as course staff, who as a student, and who has no part in an activity."""

from __future__ import annotations

from collections.abc import Iterable

from assessment.models import CourseRole

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

# Context roles that may set up and grade, full URIs and the deprecated short forms. TeachingAssistant is a
# sub-role of Instructor in LIS v2, but platforms also send it on its own.
STAFF_CONTEXT_ROLES = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"})
# Institution and system administrators manage the tool for everyone, and may invite another LMS to register it.
STAFF_ADMIN_ROLES = frozenset({
    LIS + "institution/person#Administrator",
    LIS + "system/person#Administrator",
    LIS + "system/person#SysAdmin",
})
LEARNER = "Learner"


def _context_role(role: str) -> tuple[str, str] | None:
    """(principal role, sub-role) of a context role: `membership#Instructor` -> (Instructor, Instructor),
    `membership/Instructor#TeachingAssistant` -> (Instructor, TeachingAssistant); short forms name both."""
    if role.startswith(LIS + "membership#"):
        name = role.rpartition("#")[2]
        return (name, name) if name else None
    if role.startswith(LIS + "membership/"):
        principal, _, sub_role = role[len(LIS + "membership/"):].partition("#")
        return (principal, sub_role or principal) if principal else None
    if role and "/" not in role and "#" not in role and ":" not in role:
        return role, role
    return None


def _is_assistant(principal: str, sub_role: str) -> bool:
    return sub_role.startswith("TeachingAssistant") and principal in ("Instructor", "TeachingAssistant")


def course_role(lti_roles: Iterable[str], *, learner_assistants_are_staff: bool = False) -> CourseRole | None:
    """What the roles of a launch or a roster entry allow in a course; None when they give no part in it.

    1. an institution or system administrator, or a context Instructor (any of its sub-roles),
       ContentDeveloper or Administrator is staff;
    2. a context Learner (any of its sub-roles, or the short form) is a student, even when the same launch
       also names them TeachingAssistant (Open edX does so for forum moderators, who are often students),
       unless the platform's registration says such learner-assistants are staff;
    3. everyone else (Mentor, Observer, Guest, ProspectiveStudent, no roles, unknown roles) has no part:
       they are neither students nor staff, and see no one's work."""
    roles = list(lti_roles)
    context = [parsed for parsed in map(_context_role, roles) if parsed is not None]
    is_learner = any(principal == LEARNER for principal, _ in context)
    staff = [(principal, sub_role) for principal, sub_role in context if principal in STAFF_CONTEXT_ROLES]
    if any(role in STAFF_ADMIN_ROLES for role in roles):
        return CourseRole.STAFF
    if staff and (not is_learner or learner_assistants_are_staff or not all(_is_assistant(*s) for s in staff)):
        return CourseRole.STAFF
    return CourseRole.STUDENT if is_learner else None


def is_platform_administrator(lti_roles: Iterable[str]) -> bool:
    """Whether the launch carries an institution or system administrator role (a course's own
    Administrator role does not count: it manages one course, not the LMS)."""
    return any(role in STAFF_ADMIN_ROLES for role in lti_roles)
