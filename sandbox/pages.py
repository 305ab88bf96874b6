"""The LMS's own HTML pages: course home, launching or adding an activity as someone, gradebook and roster."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, session, url_for

from sandbox.grader_launches import submission_url
from sandbox.platform_storage import origin_of, other_origin, storage_mode
from sandbox.registration import registration_record
from sandbox.runtime import current_sandbox

blueprint = Blueprint("pages", __name__)

ACTING_USER_KEY = "acting_user_id"
# Languages a launch can ask the tool for (launch_presentation.locale), each named in itself.
LANGUAGES = {"en-US": "English", "hi-IN": "हिन्दी"}


@blueprint.get("/")
def course_home() -> str:
    sandbox = current_sandbox()
    line_items: dict[str, dict[str, Any]] = {}
    for item in sandbox.store.line_items():
        line_items.setdefault(item.get("resourceLinkId", ""), item)
    return render_template(
        "course.html",
        course=sandbox.course,
        line_items=line_items,
        endpoints=sandbox.endpoints,
        config=sandbox.config,
        acting_user_id=session.get(ACTING_USER_KEY),
    )


@blueprint.get("/course/launch-as/<user_id>")
def launch_as(user_id: str) -> str:
    sandbox = current_sandbox()
    person = sandbox.course.person(user_id)
    # Without ?link= the course's first link, as before there were several; the frame's URL keeps that form.
    link_id = request.args.get("link")
    link = sandbox.course.resource_links[0] if link_id is None else sandbox.course.resource_link(link_id)
    locale = request.args.get("locale")
    if person is None or link is None or (locale is not None and locale not in LANGUAGES):
        abort(404)
    session[ACTING_USER_KEY] = user_id
    return render_template("launch_as.html", course=sandbox.course, person=person, link=link, link_id=link_id,
                           locale=locale, languages=LANGUAGES,
                           storage=storage_mode(request.args.get("storage"), sandbox.config),
                           tool_origin=origin_of(sandbox.endpoints.tool_base_url),
                           relay_origin=other_origin(sandbox.endpoints.base_url))


@blueprint.get("/course/deep-link-as/<user_id>")
def deep_link_as(user_id: str) -> str | tuple[str, int]:
    sandbox = current_sandbox()
    person = sandbox.course.person(user_id)
    if person is None:
        abort(404)
    if not person.is_staff:
        return render_template("not_staff.html", course=sandbox.course, person=person), 403
    session[ACTING_USER_KEY] = user_id
    return render_template("deep_link_as.html", course=sandbox.course, person=person,
                           tool_origin=origin_of(sandbox.endpoints.tool_base_url))


@blueprint.get("/gradebook")
def gradebook() -> str:
    sandbox = current_sandbox()
    course = sandbox.course
    columns = [{"line_item": item, "history": history} for item, history in sandbox.store.snapshot()]
    link_titles = {link.id: link.title for link in course.resource_links}
    # The grader a gradebook launch is made as: the course's first instructor, as in SpeedGrader or the grader report.
    return render_template("gradebook.html", course=course, columns=columns, cell=_cell, link_titles=link_titles,
                           profile=sandbox.endpoints.profile, grader=course.staff[0] if course.staff else None,
                           submission_url=lambda item, user_id: submission_url(sandbox, item["id"], user_id))


# Longest given name, family name or e-mail address the roster page takes.
MAX_FIELD = 100


@blueprint.get("/roster")
def roster() -> str:
    return render_template("roster.html", course=current_sandbox().course, problem=None, entered={})


@blueprint.post("/roster")
def enrol() -> Response | tuple[str, int]:
    """Enrol a student while the course runs, as a registrar does after term started: a late arrival for the tool."""
    sandbox = current_sandbox()
    entered = {name: request.form.get(name, "").strip() for name in ("given_name", "family_name", "email")}
    problem = _enrolment_problem(entered)
    if problem is None and sandbox.enrol(**entered) is None:
        problem = "Someone in the course already has this e-mail address."
    if problem is not None:
        return render_template("roster.html", course=sandbox.course, problem=problem, entered=entered), 400
    return redirect(url_for("pages.roster"), 303)


def _enrolment_problem(entered: dict[str, str]) -> str | None:
    if not entered["given_name"] or not entered["family_name"]:
        return "Give the student's given and family names."
    if any(len(value) > MAX_FIELD for value in entered.values()):
        return f"Names and the e-mail address are at most {MAX_FIELD} characters."
    if any(unicodedata.category(character) == "Cc" for value in entered.values() for character in value):
        # They would reach the tool in every launch and roster of the student.
        return "Names and the e-mail address cannot hold control characters; type them again."
    local, at, domain = entered["email"].partition("@")
    if not (local and at and "." in domain) or any(character.isspace() for character in entered["email"]):
        return "Give an e-mail address such as name@example.edu."
    return None


@blueprint.get("/mail")
def mail() -> str:
    """Each person's inbox: what the tool e-mailed them through the sandbox's mail server."""
    sandbox = current_sandbox()
    course = sandbox.course
    known = {person.email.casefold() for person in course.people}
    inboxes = [(person, sandbox.mailbox.to(person.email)) for person in course.people]
    others = [mail for mail in sandbox.mailbox.all() if mail.recipient.casefold() not in known]
    return render_template("mail.html", course=course, inboxes=inboxes, others=others,
                           smtp_port=current_app.config.get("SANDBOX_SMTP_PORT"))


@blueprint.get("/registration.json")
def registration_json() -> Response:
    return jsonify(registration_record(current_sandbox().config))


def _cell(column: dict[str, Any], user_id: str) -> list[dict[str, Any]]:
    """Scores of one user for one line item, newest first."""
    return list(reversed(column["history"].get(user_id, [])))
