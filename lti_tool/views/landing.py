"""Where a launch lands: the instructor's or the student's home for a resource link, and 'your data'."""

from __future__ import annotations

from flask import Blueprint, render_template

from assessment.models import CourseRole
from lti_tool.database import db
from lti_tool.identity import launch_identity
from lti_tool.views import instructor, student
from lti_tool.views.course import launched_view, load_launch_view

bp = Blueprint("landing", __name__)


@bp.get("/links/<int:link_id>")
def resource_link(link_id: int) -> str:
    identity = launch_identity(link_id)
    view = load_launch_view(db(), identity)
    if identity.role is CourseRole.STAFF:
        return instructor.home(view)
    return student.home(view)


@bp.get("/links/<int:link_id>/me")
def my_data(link_id: int) -> str:
    """What peerlti holds about the person, as their LMS reported it."""
    view = launched_view(link_id)
    return render_template("my_data.html", view=view)
