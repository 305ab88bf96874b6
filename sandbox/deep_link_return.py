"""The deep linking return URL: the tool's response is checked and the links it chose join the course."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from sandbox.deep_link_requests import DeepLinkDataRefused
from sandbox.deep_link_response import ContentLink, ExpectedResponse, InvalidDeepLinkResponse, read_deep_link_response
from sandbox.runtime import Sandbox, current_sandbox
from sandbox.store import NewResourceLink

blueprint = Blueprint("deep_link_return", __name__)


@blueprint.post("/deep-link/return")
def receive_response() -> str | tuple[str, int]:
    sandbox = current_sandbox()
    token = request.form.get("JWT", "").strip()
    if not token:
        return _refused("The form has no JWT field: the tool must post its response JWT in a field named JWT.")
    try:
        response = read_deep_link_response(token, sandbox.platform_setup.tool_keys, _expected(sandbox), sandbox.course)
        # Last, so a response refused for another reason leaves its request open for a corrected one.
        answered = sandbox.deep_links.redeem(response.data)
    except (InvalidDeepLinkResponse, DeepLinkDataRefused) as error:
        return _refused(str(error))
    for name, text in (("log", response.log), ("errorlog", response.errorlog)):
        if text:
            current_app.logger.info("Deep linking response %s: %s", name, text)
    new_links = [NewResourceLink(_link_fields(link), link.line_item) for link in response.links]
    if answered.link_id is not None:
        # Content picked again: the link keeps its id and its gradebook column, and launches with the new choice.
        added = [sandbox.store.replace_resource_link(answered.link_id, new) for new in new_links[:1]]
    else:
        added = sandbox.store.add_resource_links(new_links)
    course = sandbox.course
    return render_template(
        "deep_link_result.html",
        course=course,
        added=[(course.resource_link(entry.link["id"]), entry.line_item) for entry in added],
        response=response,
        requested_by=course.person(answered.user_id),
        tool_launch=sandbox.endpoints.tool_launch,
    )


def _expected(sandbox: Sandbox) -> ExpectedResponse:
    return ExpectedResponse(
        platform_issuer=sandbox.endpoints.issuer,
        client_id=sandbox.config.client_id,
        deployment_id=sandbox.config.deployment_id,
        tool_base_url=sandbox.endpoints.tool_base_url,
    )


def _link_fields(link: ContentLink) -> dict[str, object]:
    fields: dict[str, object] = {"title": link.title, "custom": link.custom}
    if link.url is not None:
        fields["url"] = link.url
    return fields


def _refused(message: str) -> tuple[str, int]:
    page = render_template("problem.html", title="The tool's deep linking response was refused", message=message)
    return page, 400
