"""The LMS's own HTML pages: course home, launching as someone, gradebook and roster."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, session

from sandbox.registration import registration_record
from sandbox.runtime import current_sandbox

blueprint = Blueprint("pages", __name__)

ACTING_USER_KEY = "acting_user_id"


@blueprint.get("/")
def course_home() -> str:
    sandbox = current_sandbox()
    return render_template(
        "course.html",
        course=sandbox.course,
        endpoints=sandbox.endpoints,
        config=sandbox.config,
        acting_user_id=session.get(ACTING_USER_KEY),
    )


@blueprint.get("/course/launch-as/<user_id>")
def launch_as(user_id: str) -> str:
    sandbox = current_sandbox()
    person = sandbox.course.person(user_id)
    if person is None:
        abort(404)
    session[ACTING_USER_KEY] = user_id
    return render_template(
        "launch_as.html", course=sandbox.course, person=person, link=sandbox.course.resource_links[0]
    )


@blueprint.get("/gradebook")
def gradebook() -> str:
    sandbox = current_sandbox()
    columns = [{"line_item": item, "history": history} for item, history in sandbox.store.snapshot()]
    return render_template("gradebook.html", course=sandbox.course, columns=columns, cell=_cell)


@blueprint.get("/roster")
def roster() -> str:
    return render_template("roster.html", course=current_sandbox().course)


@blueprint.get("/registration.json")
def registration_json() -> Response:
    return jsonify(registration_record(current_sandbox().config))


def _cell(column: dict[str, Any], user_id: str) -> list[dict[str, Any]]:
    """Scores of one user for one line item, newest first."""
    return list(reversed(column["history"].get(user_id, [])))
