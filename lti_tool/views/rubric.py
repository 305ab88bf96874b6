"""The rubric builder: add, edit, reorder and delete criteria, or copy another assignment's rubric."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug import Response
from wtforms import SelectChoice

from assessment.db import utcnow
from assessment.errors import InvalidInput, NotFound
from assessment.messages import N_
from assessment.models import Assignment
from assessment.rubric import Criterion, Rubric
from assessment.services import copy_rubric, rubric_lock_reason, rubrics_in_course, save_rubric, save_rubric_criteria
from lti_tool.database import db
from lti_tool.forms import ActionForm, CopyRubricForm, CriterionForm
from lti_tool.views.course import LaunchView, staff_view
from lti_tool.views.form_errors import show_problems

bp = Blueprint("rubric", __name__)


def _criteria(assignment: Assignment) -> list[Criterion]:
    return list(assignment.rubric.criteria) if assignment.rubric else []


def _page(view: LaunchView, form: CriterionForm | None = None, editing: str | None = None,
          copy_form: CopyRubricForm | None = None) -> str:
    assignment = view.require_assignment()
    sources = rubrics_in_course(db(), view.course.id, assignment.id)
    copy_form = copy_form or CopyRubricForm()
    copy_form.source.choices = [SelectChoice(str(source.id), source.title) for source in sources]
    return render_template(
        "instructor/rubric.html", view=view, assignment=assignment, criteria=_criteria(assignment),
        form=form or CriterionForm(formdata=None), editing=editing, action_form=ActionForm(),
        copy_form=copy_form, lock=rubric_lock_reason(assignment, utcnow()),
    )


@bp.get("/links/<int:link_id>/rubric")
def show(link_id: int) -> str:
    return _page(staff_view(link_id))


@bp.get("/links/<int:link_id>/rubric/criteria/<key>")
def edit_form(link_id: int, key: str) -> str:
    view = staff_view(link_id)
    criterion = _find(_criteria(view.require_assignment()), key)
    return _page(view, CriterionForm.from_criterion(criterion), editing=key)


@bp.post("/links/<int:link_id>/rubric/criteria")
def add(link_id: int) -> Response | tuple[str, int]:
    return _save_criterion(link_id, key=None)


@bp.post("/links/<int:link_id>/rubric/criteria/<key>")
def update(link_id: int, key: str) -> Response | tuple[str, int]:
    return _save_criterion(link_id, key=key)


def _save_criterion(link_id: int, key: str | None) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    criteria = _criteria(assignment)
    if key is not None:
        _find(criteria, key)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            criterion = form.to_criterion(key or _new_key(criteria))
            changed = [criterion if c.key == key else c for c in criteria] if key else [*criteria, criterion]
            save_rubric(db(), assignment.id, Rubric(criteria=tuple(changed)), utcnow())
        except ValueError as problem:
            show_problems(form, {"levels": str(problem)})
        except InvalidInput as refusal:
            show_problems(form, _criterion_problems(refusal.problems, len(criteria) if key is None else
                                                    [c.key for c in criteria].index(key)))
        else:
            db().commit()
            flash(gettext("Criterion saved."))
            return redirect(url_for("rubric.show", link_id=link_id), 303)
    return _page(view, form, editing=key), 400


def _criterion_problems(problems: dict[str, str], index: int) -> dict[str, str]:
    """Problems of the rubric as a whole, keyed `criteria.N.field`, narrowed to the criterion on the form."""
    prefix = f"criteria.{index}."
    mine = {key.removeprefix(prefix): text for key, text in problems.items() if key.startswith(prefix)}
    aliases = {"score_range": "range_high", "comment": "comment_min_length", "comment.min_length": "comment_min_length"}
    others = {key: text for key, text in problems.items() if not key.startswith(prefix)}
    return {aliases.get(key, key): text for key, text in mine.items()} | others


@bp.post("/links/<int:link_id>/rubric/criteria/<key>/delete")
def delete(link_id: int, key: str) -> Response:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    criteria = _criteria(assignment)
    _find(criteria, key)
    save_rubric_criteria(db(), assignment.id, [c for c in criteria if c.key != key], utcnow())
    db().commit()
    flash(gettext("Criterion deleted."))
    return redirect(url_for("rubric.show", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/rubric/criteria/<key>/move/<direction>")
def move(link_id: int, key: str, direction: str) -> Response:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    if direction not in ("up", "down"):
        raise NotFound(N_("Criteria move up or down."))
    criteria = _criteria(assignment)
    index = criteria.index(_find(criteria, key))
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(criteria):
        criteria[index], criteria[target] = criteria[target], criteria[index]
        save_rubric_criteria(db(), assignment.id, criteria, utcnow())
        db().commit()
    return redirect(url_for("rubric.show", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/rubric/copy")
def copy(link_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    form = CopyRubricForm()
    form.source.choices = [SelectChoice(str(source.id), source.title)
                           for source in rubrics_in_course(db(), view.course.id, assignment.id)]
    if form.validate_on_submit():
        copy_rubric(db(), assignment.id, form.source.data, utcnow())
        db().commit()
        flash(gettext("Rubric copied."))
        return redirect(url_for("rubric.show", link_id=link_id), 303)
    return _page(view, copy_form=form), 400


def _find(criteria: list[Criterion], key: str) -> Criterion:
    for criterion in criteria:
        if criterion.key == key:
            return criterion
    raise NotFound(N_("That criterion is not in this rubric."))


def _new_key(criteria: list[Criterion]) -> str:
    taken = {criterion.key for criterion in criteria}
    while (key := "c" + secrets.token_hex(3)) in taken:
        pass
    return key
