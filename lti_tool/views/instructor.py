"""Staff pages: the activity's home for instructors and the course roster."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from assessment.models import Enrollment, Person
from lti_tool.database import db
from lti_tool.identity import staff_identity
from lti_tool.views.course import LaunchView, load_launch_view, role_counts

bp = Blueprint("instructor", __name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def home(view: LaunchView) -> str:
    ags = view.link.ags_claim or {}
    return render_template(
        "instructor/home.html",
        view=view,
        counts=role_counts(db(), view.course.id),
        can_post_grades=SCORE_SCOPE in (ags.get("scope") or []),
        has_line_item=bool(ags.get("lineitem") or ags.get("lineitems")),
        has_roster=bool((view.link.nrps_claim or {}).get("context_memberships_url")),
    )


@bp.get("/links/<int:link_id>/people")
def people(link_id: int) -> str:
    view = load_launch_view(db(), staff_identity(link_id))
    enrollments = db().execute(
        select(Enrollment, Person)
        .join(Person, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == view.course.id)
        .order_by(Enrollment.role, Person.family_name, Person.name, Person.id)
    ).all()
    return render_template("instructor/people.html", view=view, enrollments=enrollments)
