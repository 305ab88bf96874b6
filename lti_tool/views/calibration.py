"""Calibration pages: students assess examples blind and see how close they came; staff write the examples."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug import Response

from assessment.calibration_training import (
    ExampleInput,
    attempt_example,
    calibration_overview,
    delete_example,
    examples,
    save_example,
    student_status,
)
from assessment.db import utcnow
from assessment.errors import InvalidInput, NotFound
from assessment.messages import N_
from assessment.phases import Phase
from lti_tool.database import db
from lti_tool.forms import ActionForm
from lti_tool.views.course import launched_view, staff_view
from lti_tool.views.rubric_entry import read_rubric_entry

bp = Blueprint("calibration", __name__)


@bp.route("/links/<int:link_id>/calibration", methods=["GET", "POST"])
def practise(link_id: int) -> str | tuple[str, int]:
    """The example the student is on (assessed blind), or, after an attempt, the comparison with the reference."""
    view = launched_view(link_id)
    assignment = view.require_assignment()
    status = student_status(db(), assignment, view.person.id)
    by_id = {example.id: example for example in examples(db(), assignment.id)}
    problems: dict[str, str] = {}
    if request.method == "POST" and ActionForm().validate_on_submit() and assignment.rubric:
        entry = read_rubric_entry(assignment.rubric, request.form)
        try:
            example_id = int(request.form.get("example", "0"))
            if entry.unreadable:
                raise InvalidInput(entry.unreadable)
            result = attempt_example(db(), assignment.id, example_id, view.person.id, entry.selections, utcnow())
        except (InvalidInput, ValueError) as refusal:
            db().rollback()
            problems = getattr(refusal, "problems", {"example": N_("Reload the page and try again.")})
        else:
            db().commit()
            now = utcnow()
            # Done before reviewing opens: say when it does, rather than send the student to a page that waits.
            reviewing_open = assignment.phase_at(now) is Phase.REVIEW
            review_opens = assignment.review_opens if assignment.review_opens > now else None
            return render_template("calibration/result.html", view=view, assignment=assignment,
                                   example=by_id[example_id], result=result, form=ActionForm(),
                                   reviewing_open=reviewing_open, review_opens=review_opens)
    example = by_id.get(status.next_example) if status.next_example else None
    return render_template("calibration/practise.html", view=view, assignment=assignment, status=status,
                           example=example, problems=problems, form=ActionForm()), 400 if problems else 200


@bp.get("/links/<int:link_id>/calibration/examples")
def manage(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    return render_template("calibration/examples.html", view=view, assignment=assignment,
                           examples=examples(db(), assignment.id), overview=calibration_overview(db(), assignment.id),
                           form=ActionForm())


@bp.route("/links/<int:link_id>/calibration/examples/new", methods=["GET", "POST"], defaults={"example_id": None})
@bp.route("/links/<int:link_id>/calibration/examples/<int:example_id>", methods=["GET", "POST"])
def edit(link_id: int, example_id: int | None) -> Response | str | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    example = next((e for e in examples(db(), assignment.id) if e.id == example_id), None)
    if example_id is not None and example is None:
        raise NotFound(N_("That calibration example does not exist."))
    problems: dict[str, str] = {}
    values = {"title": example.title if example else "", "text": example.text_html if example else ""}
    selections = dict(example.reference or {}) if example else {}
    explanations = dict(example.explanations) if example else {}
    if request.method == "POST" and ActionForm().validate_on_submit():
        entry = read_rubric_entry(assignment.rubric, request.form) if assignment.rubric else None
        values = {"title": request.form.get("title", ""), "text": request.form.get("text", "")}
        selections = entry.selections if entry else {}
        explanations = entry.comments if entry else {}
        try:
            if entry and entry.unreadable:
                raise InvalidInput(entry.unreadable)
            save_example(db(), assignment.id, ExampleInput(values["title"], values["text"], selections, explanations),
                         example_id)
        except InvalidInput as refusal:
            db().rollback()
            problems = refusal.problems
        else:
            db().commit()
            flash(gettext("Example saved."))
            return redirect(url_for("calibration.manage", link_id=link_id), 303)
    return render_template("calibration/edit.html", view=view, assignment=assignment, example=example, values=values,
                           selections=selections, explanations=explanations, problems=problems,
                           form=ActionForm()), 400 if problems else 200


@bp.post("/links/<int:link_id>/calibration/examples/<int:example_id>/delete")
def remove(link_id: int, example_id: int) -> Response:
    view = staff_view(link_id)
    delete_example(db(), view.require_assignment().id, example_id)
    db().commit()
    flash(gettext("Example deleted."))
    return redirect(url_for("calibration.manage", link_id=link_id), 303)
