"""The coverage page for staff: work short of its reviews now and at the deadline, and the backup queue after it."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template

from assessment.db import utcnow
from assessment.review_coverage import coverage_report
from lti_tool.database import db
from lti_tool.forms import ActionForm
from lti_tool.views.course import staff_view

bp = Blueprint("coverage", __name__)


@bp.get("/links/<int:link_id>/coverage")
def show(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    now = utcnow()
    return render_template("instructor/coverage.html", view=view, assignment=assignment,
                           report=coverage_report(db(), assignment, now), form=ActionForm(), timedelta=timedelta)
