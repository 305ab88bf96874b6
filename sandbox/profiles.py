"""LMS profiles: where each emulated LMS puts its endpoints, which ids it uses, and how it names itself."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

SPEC = "spec"
CANVAS = "canvas"
MOODLE = "moodle"

# Canvas's hosted customers share one issuer; the account's own host serves the endpoints
# (canvas-lms lib/lti/messages/jwt_message.rb add_security_claims!: iss = Canvas::Security.config['lti_iss']).
CANVAS_ISSUER = "https://canvas.instructure.com"
# The numeric course id Canvas puts in its service URLs (lib/lti/messages/resource_link_request.rb builds the
# line item URL from `course_id_for_ags_url`), while the context claim carries an opaque id.
CANVAS_COURSE_ID = "101"
# Moodle's first course after the site course (id 1); its context claim and service URLs both use it
# (mod/lti/locallib.php `context_id` = $course->id).
MOODLE_COURSE_ID = "2"
# The tool type id Moodle gives the registered tool, carried as `type_id` on every AGS URL and as the binding in
# NRPS URLs (mod/lti/service/gradebookservices/classes/local/resources/lineitems.php, `$LineItems.url`).
MOODLE_TYPE_ID = "1"


@dataclass(frozen=True)
class LmsProfile:
    """One LMS's shape. Flask rules name `<context_id>` and `<line_item_id>`; scores and results live under a line
    item's own path in all three (`.../scores`, `.../results`)."""

    name: str
    platform_name: str
    product_family_code: str
    auth_path: str
    token_path: str
    jwks_path: str
    lineitems_rule: str
    lineitem_rule: str
    memberships_rule: str
    # Query parameters every AGS URL carries (Moodle's `type_id`).
    service_query: dict[str, str] = field(default_factory=dict)
    # The issuer when it is not the LMS's own base URL (Canvas's shared issuer).
    fixed_issuer: str | None = None
    # The course id in service URLs when it differs from the context claim's id.
    service_course_id: str | None = None
    # The context claim's id, when the profile replaces the demo course's.
    context_id: str | None = None

    def issuer(self, base_url: str) -> str:
        return self.fixed_issuer or base_url

    @property
    def is_canvas(self) -> bool:
        return self.name == CANVAS

    @property
    def is_moodle(self) -> bool:
        return self.name == MOODLE


SPEC_PROFILE = LmsProfile(
    name=SPEC,
    platform_name="peerlti sandbox LMS",
    product_family_code="peerlti-sandbox",
    auth_path="/auth",
    token_path="/token",  # noqa: S106 - a URL path, not a secret
    jwks_path="/jwks",
    lineitems_rule="/api/courses/<context_id>/lineitems",
    lineitem_rule="/api/courses/<context_id>/lineitems/<line_item_id>",
    memberships_rule="/api/courses/<context_id>/memberships",
)

CANVAS_PROFILE = LmsProfile(
    name=CANVAS,
    platform_name="Canvas LMS (peerlti sandbox)",
    # lib/lti/messages/jwt_message.rb add_tool_platform_claims!: product_family_code "canvas", version "cloud".
    product_family_code="canvas",
    # app/controllers/lti/ims/authentication_controller.rb (authorize_redirect, then authorize),
    # config/routes.rb: `login/oauth2/token` and `api/lti/security/jwks`.
    auth_path="/api/lti/authorize_redirect",
    token_path="/login/oauth2/token",  # noqa: S106 - a URL path, not a secret
    jwks_path="/api/lti/security/jwks",
    # `api/lti/courses/:course_id/` line_items, line_items/:id, .../scores, .../results and names_and_roles
    # (app/controllers/lti/ims/line_items_controller.rb, scores_controller.rb, names_and_roles_controller.rb).
    lineitems_rule="/api/lti/courses/<context_id>/line_items",
    lineitem_rule="/api/lti/courses/<context_id>/line_items/<line_item_id>",
    memberships_rule="/api/lti/courses/<context_id>/names_and_roles",
    fixed_issuer=CANVAS_ISSUER,
    service_course_id=CANVAS_COURSE_ID,
    # lib/lti/messages/jwt_message.rb add_context_claims!: Lti::Asset.opaque_identifier_for(course), a hex digest.
    context_id=hashlib.sha1(b"Course_101").hexdigest(),  # noqa: S324 - an identifier, as Canvas makes it
)

MOODLE_PROFILE = LmsProfile(
    name=MOODLE,
    platform_name="Moodle (peerlti sandbox)",
    # mod/lti/locallib.php lti_build_standard_message: tool_consumer_info_product_family_code "moodle".
    product_family_code="moodle",
    # mod/lti/auth.php, mod/lti/token.php, mod/lti/certs.php.
    auth_path="/mod/lti/auth.php",
    token_path="/mod/lti/token.php",  # noqa: S106 - a URL path, not a secret
    jwks_path="/mod/lti/certs.php",
    # mod/lti/service/gradebookservices/classes/local/resources/{lineitems,lineitem,scores,results}.php templates
    # '/{context_id}/lineitems', '/{context_id}/lineitems/{item_id}/lineitem', '.../lineitem/scores', '.../results'.
    lineitems_rule="/mod/lti/services.php/<context_id>/lineitems",
    lineitem_rule="/mod/lti/services.php/<context_id>/lineitems/<line_item_id>/lineitem",
    # mod/lti/service/memberships/classes/local/resources/contextmemberships.php:
    # '/{context_type}/{context_id}/bindings/{tool_code}/memberships', context_type CourseSection in a course.
    memberships_rule=f"/mod/lti/services.php/CourseSection/<context_id>/bindings/{MOODLE_TYPE_ID}/memberships",
    service_query={"type_id": MOODLE_TYPE_ID},
    service_course_id=MOODLE_COURSE_ID,
    context_id=MOODLE_COURSE_ID,
)

PROFILES = {profile.name: profile for profile in (SPEC_PROFILE, CANVAS_PROFILE, MOODLE_PROFILE)}


def profile_named(name: str) -> LmsProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"Unknown LMS profile {name!r}; choose one of {', '.join(PROFILES)}.") from None
