"""LTI Assignment and Grade Services 2.0: line items, scores and results of the demo course."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from sandbox.ags_payloads import InvalidPayload, line_item_fields, score_record
from sandbox.runtime import Sandbox, current_sandbox
from sandbox.security import require_scope
from sandbox.service_responses import BadPagingParameter, json_response, paginate, service_error
from sandbox.store import LineItemNotFound, StaleScore

blueprint = Blueprint("ags", __name__, url_prefix="/api/courses/<context_id>/lineitems")

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"

# Query parameter of the line item container -> field of the line item it filters on.
LINE_ITEM_FILTERS = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}


@blueprint.get("")
@require_scope(SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
def list_line_items(context_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.course.id:
        return _unknown_course(context_id)
    wanted = {field: request.args[arg] for arg, field in LINE_ITEM_FILTERS.items() if arg in request.args}
    line_items = [
        _line_item_json(sandbox, item)
        for item in sandbox.store.line_items()
        if all(item.get(field) == value for field, value in wanted.items())
    ]
    try:
        page = paginate(line_items, request.args.to_dict(), sandbox.endpoints.lineitems(context_id))
    except BadPagingParameter as error:
        return service_error(400, "invalid_request", str(error))
    return json_response(page.items, media_type=LINEITEM_CONTAINER, headers=page.link_header)


@blueprint.post("")
@require_scope(SCOPE_LINEITEM)
def create_line_item(context_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.course.id:
        return _unknown_course(context_id)
    try:
        fields = line_item_fields(request.get_json(force=True, silent=True), sandbox.course)
    except InvalidPayload as error:
        return service_error(error.status, "invalid_request", str(error))
    created = sandbox.store.create_line_item(fields)
    return json_response(_line_item_json(sandbox, created), 201, LINEITEM)


@blueprint.get("/<line_item_id>")
@require_scope(SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
def get_line_item(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    line_item = sandbox.store.line_item(line_item_id) if context_id == sandbox.course.id else None
    if line_item is None:
        return _unknown_line_item(line_item_id)
    return json_response(_line_item_json(sandbox, line_item), media_type=LINEITEM)


@blueprint.put("/<line_item_id>")
@require_scope(SCOPE_LINEITEM)
def update_line_item(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    current = sandbox.store.line_item(line_item_id) if context_id == sandbox.course.id else None
    if current is None:
        return _unknown_line_item(line_item_id)
    try:
        fields = line_item_fields(request.get_json(force=True, silent=True), sandbox.course)
    except InvalidPayload as error:
        return service_error(error.status, "invalid_request", str(error))
    # Like Canvas, a line item stays bound to the link it was created for.
    linked_to = current.get("resourceLinkId")
    if linked_to is not None and fields.setdefault("resourceLinkId", linked_to) != linked_to:
        return service_error(400, "invalid_request", "resourceLinkId of a line item cannot change.")
    try:
        updated = sandbox.store.replace_line_item(line_item_id, fields)
    except LineItemNotFound:
        return _unknown_line_item(line_item_id)
    return json_response(_line_item_json(sandbox, updated), media_type=LINEITEM)


@blueprint.delete("/<line_item_id>")
@require_scope(SCOPE_LINEITEM)
def delete_line_item(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.course.id:
        return _unknown_line_item(line_item_id)
    try:
        sandbox.store.delete_line_item(line_item_id)
    except LineItemNotFound:
        return _unknown_line_item(line_item_id)
    return Response(status=204)


@blueprint.post("/<line_item_id>/scores")
@require_scope(SCOPE_SCORE)
def post_score(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    if context_id != sandbox.course.id or sandbox.store.line_item(line_item_id) is None:
        return _unknown_line_item(line_item_id)
    try:
        score = score_record(request.get_json(force=True, silent=True), sandbox.course)
    except InvalidPayload as error:
        return service_error(error.status, "invalid_request", str(error))
    score["receivedAt"] = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        sandbox.store.record_score(line_item_id, score)
    except LineItemNotFound:
        return _unknown_line_item(line_item_id)
    except StaleScore as error:
        return service_error(
            400,
            "invalid_request",
            f"timestamp {score['timestamp']} is not newer than the last score's timestamp {error}.",
        )
    # An empty JSON object: pylti1p3 fails on a body that is not JSON.
    return json_response({})


@blueprint.get("/<line_item_id>/results")
@require_scope(SCOPE_RESULT_READONLY)
def list_results(context_id: str, line_item_id: str) -> Response:
    sandbox = current_sandbox()
    line_item = sandbox.store.line_item(line_item_id) if context_id == sandbox.course.id else None
    if line_item is None:
        return _unknown_line_item(line_item_id)
    try:
        histories = sandbox.store.score_history(line_item_id)
    except LineItemNotFound:
        return _unknown_line_item(line_item_id)
    line_item_url = sandbox.endpoints.lineitem(context_id, line_item_id)
    wanted_user = request.args.get("user_id")
    results = [
        _result_json(line_item_url, history[-1])
        for user_id, history in histories.items()
        if history and wanted_user in (None, user_id)
    ]
    try:
        page = paginate(results, request.args.to_dict(), f"{line_item_url}/results")
    except BadPagingParameter as error:
        return service_error(400, "invalid_request", str(error))
    return json_response(page.items, media_type=RESULT_CONTAINER, headers=page.link_header)


def _line_item_json(sandbox: Sandbox, line_item: dict[str, Any]) -> dict[str, Any]:
    return {**line_item, "id": sandbox.endpoints.lineitem(sandbox.fixed_course.id, line_item["id"])}


def _result_json(line_item_url: str, latest: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": f"{line_item_url}/results/{latest['userId']}",
        "scoreOf": line_item_url,
        "userId": latest["userId"],
    }
    if latest.get("scoreGiven") is not None:
        result["resultScore"] = latest["scoreGiven"]
        result["resultMaximum"] = latest["scoreMaximum"]
    if latest.get("comment"):
        result["comment"] = latest["comment"]
    return result


def _unknown_course(context_id: str) -> Response:
    return service_error(404, "not_found", f"There is no course {context_id!r} on this platform.")


def _unknown_line_item(line_item_id: str) -> Response:
    return service_error(404, "not_found", f"There is no line item {line_item_id!r} in this course.")
