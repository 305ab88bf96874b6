"""LTI Names and Role Provisioning Services 2.0: the demo course's membership, filterable and paged per profile.

The view is routed by sandbox/service_routes.py at the path of the sandbox's LMS profile."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from sandbox.course import Person
from sandbox.paging import BadPagingParameter, ListKind, paginate
from sandbox.runtime import current_sandbox
from sandbox.security import require_scope
from sandbox.service_responses import json_response, profile_error

SCOPE_MEMBERSHIP_READONLY = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@require_scope(SCOPE_MEMBERSHIP_READONLY)
def memberships(context_id: str) -> Response:
    sandbox = current_sandbox()
    course, profile = sandbox.course, sandbox.endpoints.profile
    if context_id != sandbox.service_course_id:
        # contextmemberships.php: an unknown course is a bare 404.
        return profile_error(profile, 404, "not_found", f"There is no course {context_id!r} on this platform.")
    if sandbox.config.roster_refused:
        return _roster_refused(profile)
    link_id = request.args.get("rlid")
    if link_id is not None and course.resource_link(link_id) is None:
        return profile_error(profile, 404, "not_found", f"There is no resource link {link_id!r} in this course.")
    role = request.args.get("role")
    members = [_member_json(p) for p in course.people if role is None or _has_role(p, role)]
    url = sandbox.endpoints.memberships(context_id)
    try:
        page = paginate(profile, ListKind.MEMBERSHIPS, members, request.args.to_dict(), url)
    except BadPagingParameter as error:
        return profile_error(profile, 400, "invalid_request", str(error))
    body = {
        "id": url,
        "context": {"id": course.id, "label": course.label, "title": course.title},
        "members": page.items,
    }
    return json_response(body, media_type=MEMBERSHIP_CONTAINER, headers=page.headers)


def _roster_refused(profile: Any) -> Response:
    """The answer when the LMS does not let this tool read rosters (the service is off for it).

    Canvas: app/controllers/lti/ims/concerns/lti_services.rb verify_access_scope, 401 "Insufficient permissions";
    Moodle: contextmemberships.php, a bare 403 when check_type refuses the tool."""
    if profile.is_canvas:
        return profile_error(profile, 401, "unauthorized", "Insufficient permissions")
    return profile_error(profile, 403, "forbidden", "")


def _has_role(person: Person, wanted: str) -> bool:
    """Full role URI or its short name; case-insensitive because pylti1p3 lower-cases next links."""
    wanted = wanted.lower()
    return any(wanted in (role.lower(), role.rpartition("#")[2].lower()) for role in person.roles)


def _member_json(person: Person) -> dict[str, Any]:
    return {
        "status": "Active",
        "user_id": person.user_id,
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "roles": list(person.roles),
    }
