"""Who the browser is, per resource link, as established by launches and kept in the session."""

from __future__ import annotations

from dataclasses import asdict

from flask import session

from assessment.errors import NotAllowed
from assessment.messages import N_
from assessment.models import CourseRole
from lti_tool.launch.provisioning import LaunchIdentity

SESSION_KEY = "launches"
# Set in a launch's entry only when the launch carried an institution or system administrator role.
PLATFORM_ADMIN_KEY = "platform_admin"
# Bounded so the signed session cookie stays far below the 4 KB browsers accept.
MAX_REMEMBERED_LAUNCHES = 12


def remember_launch(identity: LaunchIdentity, key: str | None = None, *, platform_admin: bool = False) -> None:
    """Remember who launched into a resource link (or, under `key`, into a deep-linking request)."""
    launches = dict(session.get(SESSION_KEY, {}))
    key = key or str(identity.resource_link_id)
    launches.pop(key, None)
    launches[key] = asdict(identity) | {"role": identity.role.value} | ({PLATFORM_ADMIN_KEY: True} if platform_admin else {})
    while len(launches) > MAX_REMEMBERED_LAUNCHES:
        launches.pop(next(iter(launches)))
    session[SESSION_KEY] = launches
    session.permanent = True


def forget_course(course_id: int) -> None:
    """Forget this browser's launches into a course whose enrollment ended (see provisioning.RoleRefused)."""
    launches = session.get(SESSION_KEY, {})
    kept = {key: data for key, data in launches.items() if data.get("course_id") != course_id}
    if kept != launches:
        session[SESSION_KEY] = kept


def launch_identity(resource_link_id: int | str) -> LaunchIdentity:
    """The identity launched into this resource link, or NotAllowed when this browser never launched it."""
    data = session.get(SESSION_KEY, {}).get(str(resource_link_id))
    if data is None:
        raise NotAllowed(
            N_("This browser has no launch for this activity. Open it from your course in the LMS; "
               "if it is embedded, your browser may be blocking its cookies.")
        )
    fields = {name: value for name, value in data.items() if name != PLATFORM_ADMIN_KEY}
    return LaunchIdentity(**(fields | {"role": CourseRole(data["role"])}))


def launched_as_platform_administrator(resource_link_id: int | str) -> bool:
    """Whether this browser's launch into the link carried an institution or system administrator role."""
    return bool(session.get(SESSION_KEY, {}).get(str(resource_link_id), {}).get(PLATFORM_ADMIN_KEY))


def staff_identity(resource_link_id: int | str) -> LaunchIdentity:
    identity = launch_identity(resource_link_id)
    if identity.role is not CourseRole.STAFF:
        raise NotAllowed(N_("Only the course's instructors and teaching assistants can open this page."))
    return identity
