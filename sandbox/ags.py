"""LTI Assignment and Grade Services 2.0: line items, scores and results of the demo course, as each profile answers.

The views are routed by sandbox/service_routes.py at the paths of the sandbox's LMS profile."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request

from sandbox.ags_payloads import (
    InvalidPayload,
    canvas_score_record,
    line_item_fields,
    moodle_score_record,
    score_record,
)
from sandbox.paging import BadPagingParameter, ListKind, paginate
from sandbox.runtime import Sandbox, current_sandbox
from sandbox.security import require_scope
from sandbox.service_responses import json_response, profile_error
from sandbox.store import LineItemNotFound, StaleScore

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
# canvas-lms app/controllers/lti/ims/scores_controller.rb: an unlinked line item's refusal, in its words.
CANVAS_UNLINKED = "The specified LTI link ID is not associated with the line item."

# Query parameter of the line item container -> field of the line item it filters on.
LINE_ITEM_FILTERS = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}


@require_scope(SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
def list_line_items(context_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.service_course_id:
        return _unknown_course(sandbox, context_id)
    refusal = _moodle_type_refusal(sandbox, 401)
    if refusal is not None:
        return refusal
    wanted = {field: request.args[arg] for arg, field in LINE_ITEM_FILTERS.items() if arg in request.args}
    line_items = [
        _line_item_json(sandbox, item)
        for item in sandbox.store.line_items()
        if all(item.get(field) == value for field, value in wanted.items())
    ]
    try:
        page = paginate(sandbox.endpoints.profile, ListKind.LINE_ITEMS, line_items, request.args.to_dict(),
                        sandbox.endpoints.lineitems_path(context_id))
    except BadPagingParameter as error:
        return profile_error(sandbox.endpoints.profile, 400, "invalid_request", str(error))
    return json_response(page.items, media_type=LINEITEM_CONTAINER, headers=page.headers)


@require_scope(SCOPE_LINEITEM)
def create_line_item(context_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.service_course_id:
        return _unknown_course(sandbox, context_id)
    refusal = _moodle_type_refusal(sandbox, 401)
    if refusal is not None:
        return refusal
    try:
        fields = line_item_fields(request.get_json(force=True, silent=True), sandbox.course,
                                  canvas=sandbox.endpoints.profile.is_canvas)
    except InvalidPayload as error:
        # lineitems.php get_json_for_post_request: a missing label or scoreMaximum is one 400.
        message = "No label or Score Maximum" if sandbox.endpoints.profile.is_moodle else str(error)
        return profile_error(sandbox.endpoints.profile, error.status, "invalid_request", message)
    created = sandbox.store.create_line_item(fields)
    return json_response(_line_item_json(sandbox, created), 201, LINEITEM)


@require_scope(SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
def get_line_item(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    line_item = sandbox.store.line_item(line_item_id) if context_id == sandbox.service_course_id else None
    if line_item is None:
        return _unknown_line_item(sandbox, line_item_id)
    return json_response(_line_item_json(sandbox, line_item), media_type=LINEITEM)


@require_scope(SCOPE_LINEITEM)
def update_line_item(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    current = sandbox.store.line_item(line_item_id) if context_id == sandbox.service_course_id else None
    if current is None:
        return _unknown_line_item(sandbox, line_item_id)
    try:
        fields = line_item_fields(request.get_json(force=True, silent=True), sandbox.course,
                                  canvas=sandbox.endpoints.profile.is_canvas)
    except InvalidPayload as error:
        return profile_error(sandbox.endpoints.profile, error.status, "invalid_request", str(error))
    # Like Canvas, a line item stays bound to the link it was created for.
    linked_to = current.get("resourceLinkId")
    if linked_to is not None and fields.setdefault("resourceLinkId", linked_to) != linked_to:
        if sandbox.endpoints.profile.is_canvas:
            return profile_error(sandbox.endpoints.profile, 412, "precondition_failed", CANVAS_UNLINKED)
        return profile_error(sandbox.endpoints.profile, 400, "invalid_request",
                             "resourceLinkId of a line item cannot change.")
    try:
        updated = sandbox.store.replace_line_item(line_item_id, fields)
    except LineItemNotFound:
        return _unknown_line_item(sandbox, line_item_id)
    return json_response(_line_item_json(sandbox, updated), media_type=LINEITEM)


@require_scope(SCOPE_LINEITEM)
def delete_line_item(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.service_course_id:
        return _unknown_line_item(sandbox, line_item_id)
    try:
        sandbox.store.delete_line_item(line_item_id)
    except LineItemNotFound:
        return _unknown_line_item(sandbox, line_item_id)
    return Response(status=204)


@require_scope(SCOPE_SCORE)
def post_score(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    profile = sandbox.endpoints.profile
    line_item = sandbox.store.line_item(line_item_id) if context_id == sandbox.service_course_id else None
    if line_item is None:
        return _unknown_line_item(sandbox, line_item_id)
    # scores.php: without type_id Moodle takes the caller for an LTI 2 tool proxy, which an LTI 1.3 tool is not.
    refusal = _moodle_type_refusal(sandbox, 403)
    if refusal is not None:
        return refusal
    body = request.get_json(force=True, silent=True)
    if profile.is_canvas and isinstance(body, dict) and body.get("resourceLinkId") not in (None, "", line_item.get(
            "resourceLinkId")):
        # concerns/gradebook_services.rb verify_line_item_in_context: render_error's default status, 412.
        return profile_error(profile, 412, "precondition_failed", CANVAS_UNLINKED)
    try:
        if profile.is_canvas:
            score = canvas_score_record(body, sandbox.course, concluded=sandbox.config.course_concluded)
        elif profile.is_moodle:
            score = moodle_score_record(body, sandbox.course)
        else:
            score = score_record(body, sandbox.course)
    except InvalidPayload as error:
        return profile_error(profile, error.status, "invalid_request", str(error), moodle_body="[]")
    score["receivedAt"] = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        # Canvas refuses only an older timestamp (result.updated_at > timestamp); Moodle and the spec, an equal one.
        sandbox.store.record_score(line_item_id, score, equal_is_stale=not profile.is_canvas)
    except LineItemNotFound:
        return _unknown_line_item(sandbox, line_item_id)
    except StaleScore as error:
        return _stale_score(sandbox, line_item_id, score, str(error))
    if profile.is_canvas:
        # scores_controller.rb create: `{resultUrl: ...}` as application/vnd.ims.lis.v1.score+json.
        result_url = f"{sandbox.endpoints.lineitem_path(context_id, line_item_id)}/results/{score['userId']}"
        return json_response({"resultUrl": result_url}, media_type=SCORE)
    if profile.is_moodle:
        # scores.php: the answer's body is whatever get_json_for_post_request returned, which is nothing.
        return Response("", status=200, mimetype=SCORE)
    # An empty JSON object: pylti1p3 fails on a body that is not JSON.
    return json_response({})


def _stale_score(sandbox: Sandbox, line_item_id: str, score: dict[str, Any], last: str) -> Response:
    profile = sandbox.endpoints.profile
    if profile.is_canvas:
        return profile_error(profile, 400, "bad_request",
                             f"Provided timestamp of {score['timestamp']} before last updated timestamp of {last}")
    if profile.is_moodle:
        return profile_error(profile, 409, "conflict", f"Refusing score with an earlier timestamp for item "
                             f"{line_item_id} and user {score['userId']}", moodle_body="[]")
    return profile_error(profile, 400, "invalid_request",
                         f"timestamp {score['timestamp']} is not newer than the last score's timestamp {last}.")


@require_scope(SCOPE_RESULT_READONLY)
def list_results(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    line_item = sandbox.store.line_item(line_item_id) if context_id == sandbox.service_course_id else None
    if line_item is None:
        return _unknown_line_item(sandbox, line_item_id)
    try:
        histories = sandbox.store.score_history(line_item_id)
    except LineItemNotFound:
        return _unknown_line_item(sandbox, line_item_id)
    wanted_user = request.args.get("user_id")
    results = [
        _result_json(sandbox, context_id, line_item_id, history[-1])
        for user_id, history in histories.items()
        if history and wanted_user in (None, user_id)
    ]
    try:
        page = paginate(sandbox.endpoints.profile, ListKind.RESULTS, results, request.args.to_dict(),
                        f"{sandbox.endpoints.lineitem_path(context_id, line_item_id)}/results")
    except BadPagingParameter as error:
        return profile_error(sandbox.endpoints.profile, 400, "invalid_request", str(error))
    return json_response(page.items, media_type=RESULT_CONTAINER, headers=page.headers)


def _line_item_json(sandbox: Sandbox, line_item: dict[str, Any]) -> dict[str, Any]:
    return {**line_item, "id": sandbox.endpoints.lineitem(sandbox.service_course_id, line_item["id"])}


def _result_json(sandbox: Sandbox, context_id: str, line_item_id: str, latest: dict[str, Any]) -> dict[str, Any]:
    line_item_url = sandbox.endpoints.lineitem(context_id, line_item_id)
    result: dict[str, Any] = {
        "id": f"{sandbox.endpoints.lineitem_path(context_id, line_item_id)}/results/{latest['userId']}",
        "scoreOf": line_item_url,
        "userId": latest["userId"],
    }
    if latest.get("scoreGiven") is not None:
        result["resultScore"] = latest["scoreGiven"]
        result["resultMaximum"] = latest["scoreMaximum"]
    if latest.get("comment"):
        result["comment"] = latest["comment"]
    return result


def _moodle_type_refusal(sandbox: Sandbox, status: int) -> Response | None:
    """Moodle's AGS resources need the tool's type_id (lineitems.php check_tool answers 401 without it)."""
    profile = sandbox.endpoints.profile
    if not profile.is_moodle or request.args.get("type_id") == profile.service_query["type_id"]:
        return None
    return profile_error(profile, status, "unauthorized", "", moodle_body="[]" if status == 403 else "")


def _unknown_course(sandbox: Sandbox, context_id: str) -> Response:
    profile = sandbox.endpoints.profile
    if profile.is_moodle:
        return profile_error(profile, 404, "not_found", f"Not Found: Course {context_id} doesn't exist")
    return profile_error(profile, 404, "not_found", f"There is no course {context_id!r} on this platform.")


def _unknown_line_item(sandbox: Sandbox, line_item_id: str) -> Response:
    profile = sandbox.endpoints.profile
    if profile.is_moodle:
        return profile_error(profile, 404, "not_found", f"Not Found: Grade item {line_item_id} doesn't exist")
    return profile_error(profile, 404, "not_found", f"There is no line item {line_item_id!r} in this course.")
