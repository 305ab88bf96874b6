"""The claims and custom variables a launch carries beyond the specification's, as each LMS profile sends them."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from typing import Any

from sandbox.course import Person, ResourceLink
from sandbox.endpoints import Endpoints

TOOL_PLATFORM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
# lib/lti/messages/jwt_message.rb: Canvas's own claims are "extensions" under this prefix.
CANVAS_PLACEMENT_CLAIM = "https://www.instructure.com/placement"
LTI11_LEGACY_USER_ID_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/lti11_legacy_user_id"
MOODLE_EXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/ext"
LIS_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/lis"
# The Moodle release whose source the profile follows: 4.5 ($CFG->version of 4.5.0).
MOODLE_VERSION = "2024100700"
# The placement the demo course's links were made from: a graded assignment picked through deep linking.
CANVAS_PLACEMENT = "assignment_selection"
CANVAS_DUE_AT_VARIABLE = "$Canvas.assignment.dueAt.iso8601"
_VARIABLE = re.compile(r"\$[A-Za-z][\w.]*")


def profile_claims(endpoints: Endpoints, person: Person, *, placement: str = CANVAS_PLACEMENT) -> dict[str, Any]:
    """Claims every message of the profile carries, besides the specification's."""
    profile = endpoints.profile
    platform: dict[str, Any] = {
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, endpoints.base_url)),
        "name": profile.platform_name,
        "product_family_code": profile.product_family_code,
        "url": endpoints.base_url,
    }
    claims: dict[str, Any] = {}
    if profile.is_canvas:
        # jwt_message.rb add_tool_platform_claims! (version "cloud") and add_security_claims!
        # (lti11_legacy_user_id = Lti::Asset.opaque_identifier_for(user)); the placement names where the launch
        # came from (resource_link_request.rb, deep_linking_request.rb via add_extension).
        platform["version"] = "cloud"
        claims[CANVAS_PLACEMENT_CLAIM] = placement
        claims[LTI11_LEGACY_USER_ID_CLAIM] = hashlib.sha1(person.user_id.encode()).hexdigest()  # noqa: S324
    elif profile.is_moodle:
        # mod/lti/locallib.php lti_build_standard_message: tool_consumer_info_product_family_code "moodle",
        # tool_consumer_info_version $CFG->version; ext_user_username and ext_lms "moodle-2" become the `ext` claim,
        # lis_person_sourcedid and lis_course_section_sourcedid the `lis` claim.
        platform["version"] = MOODLE_VERSION
        claims[MOODLE_EXT_CLAIM] = {"user_username": person.user_id, "lms": "moodle-2"}
        claims[LIS_CLAIM] = {"person_sourcedid": "", "course_section_sourcedid": ""}
    claims[TOOL_PLATFORM_CLAIM] = platform
    return claims


def expand_canvas_variables(custom: Mapping[str, str], person: Person, link: ResourceLink,
                            due_dates: Mapping[str, str]) -> dict[str, str]:
    """Canvas's variable substitution in custom parameters (lib/lti/variable_expander.rb): a value that is exactly
    a known variable is replaced; an unknown one is sent as written.

    `$Canvas.assignment.dueAt.iso8601` is the student's own due date when an override gives them one
    (`due_dates` by user id, "*" for everyone else), and empty when the assignment has none."""
    known = {
        CANVAS_DUE_AT_VARIABLE: due_dates.get(person.user_id, due_dates.get("*", "")),
        "$Canvas.assignment.id": link.id,
        "$Canvas.user.id": person.user_id,
    }
    return {name: known.get(value, value) if _VARIABLE.fullmatch(value) else value for name, value in custom.items()}
