"""LTI Names and Role Provisioning Services 2.0: the demo course's membership, filterable and paged."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from sandbox.course import Person
from sandbox.runtime import current_sandbox
from sandbox.security import require_scope
from sandbox.service_responses import BadPagingParameter, json_response, paginate, service_error

blueprint = Blueprint("nrps", __name__)

SCOPE_MEMBERSHIP_READONLY = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@blueprint.get("/api/courses/<context_id>/memberships")
@require_scope(SCOPE_MEMBERSHIP_READONLY)
def memberships(context_id: str) -> Response:
    sandbox = current_sandbox()
    course = sandbox.course
    if context_id != course.id:
        return service_error(404, "not_found", f"There is no course {context_id!r} on this platform.")
    link_id = request.args.get("rlid")
    if link_id is not None and course.resource_link(link_id) is None:
        return service_error(404, "not_found", f"There is no resource link {link_id!r} in this course.")
    role = request.args.get("role")
    members = [_member_json(p) for p in course.people if role is None or _has_role(p, role)]
    url = sandbox.endpoints.memberships(context_id)
    try:
        page = paginate(members, request.args.to_dict(), url)
    except BadPagingParameter as error:
        return service_error(400, "invalid_request", str(error))
    body = {
        "id": url,
        "context": {"id": course.id, "label": course.label, "title": course.title},
        "members": page.items,
    }
    return json_response(body, media_type=MEMBERSHIP_CONTAINER, headers=page.link_header)


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
