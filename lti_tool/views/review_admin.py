"""Staff tools for reviewing: the allocation table, reviewers added or removed by hand, and the flag queue."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from werkzeug import Response

from assessment.db import utcnow
from assessment.errors import Conflict, InvalidInput, PhaseClosed
from assessment.models import CourseRole, Enrollment, Person
from assessment.peer_review import (
    allocate_statically,
    allocation_table,
    assign_reviewer,
    open_flags,
    remove_review,
    resolve_flag,
)
from assessment.team_reviews import saves_of
from lti_tool.database import db
from lti_tool.forms import ActionForm, whole_number
from lti_tool.i18n import translate, translate_problems
from lti_tool.refusal_return import REFUSAL
from lti_tool.views.course import staff_view

bp = Blueprint("review_admin", __name__)


@bp.get("/links/<int:link_id>/allocation")
def table(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    students = db().scalars(
        select(Person).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == view.course.id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Person.family_name, Person.given_name, Person.id)
    ).all()
    return render_template("reviewing/allocation.html", view=view, assignment=assignment,
                           rows=allocation_table(db(), assignment.id), students=students, form=ActionForm(),
                           saves=saves_of(db(), assignment.id))


@bp.post("/links/<int:link_id>/allocation/static")
def allocate_now(link_id: int) -> Response:
    view = staff_view(link_id)
    with _refusals_shown_on_the_table():
        count = allocate_statically(db(), view.require_assignment().id, utcnow(), seed=secrets.randbits(32))
        db().commit()
        flash(ngettext("%(num)s review allocated.", "%(num)s reviews allocated.", count))
    return redirect(url_for("review_admin.table", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/allocation/assign")
def assign(link_id: int) -> Response:
    view = staff_view(link_id)
    with _refusals_shown_on_the_table():
        submission, reviewer = (whole_number(request.form.get(name)) for name in ("submission", "reviewer"))
        assign_reviewer(db(), view.require_assignment().id, submission, reviewer, utcnow())
        db().commit()
        flash(gettext("Reviewer added."))
    return redirect(url_for("review_admin.table", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/allocation/reviews/<int:review_id>/remove")
def remove(link_id: int, review_id: int) -> Response:
    view = staff_view(link_id)
    with _refusals_shown_on_the_table():
        remove_review(db(), view.require_assignment().id, review_id)
        db().commit()
        flash(gettext("Review removed."))
    return redirect(url_for("review_admin.table", link_id=link_id), 303)


@contextmanager
def _refusals_shown_on_the_table() -> Iterator[None]:
    """A refused change of the allocation is shown on the table, where staff choose again (never a bare error)."""
    try:
        yield
    except (InvalidInput, PhaseClosed, Conflict) as refusal:
        db().rollback()
        problems = translate_problems(getattr(refusal, "problems", {}))
        flash(" ".join(problems.values()) if problems else translate(refusal.message), REFUSAL)


@bp.get("/links/<int:link_id>/flags")
def flags(link_id: int, problems: dict[int, str] | None = None) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    return render_template("reviewing/flags.html", view=view, assignment=assignment,
                           flags=open_flags(db(), assignment.id), form=ActionForm(), problems=problems or {})


@bp.post("/links/<int:link_id>/flags/<int:flag_id>/resolve")
def resolve(link_id: int, flag_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    try:
        resolve_flag(db(), view.require_assignment().id, flag_id, view.person.id, request.form.get("resolution", ""),
                     remove=request.form.get("remove") == "y", now=utcnow())
    except InvalidInput as refusal:
        db().rollback()
        return flags(link_id, {flag_id: refusal.message}), 400
    db().commit()
    flash(gettext("Flag resolved."))
    return redirect(url_for("review_admin.flags", link_id=link_id), 303)

