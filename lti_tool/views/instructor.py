"""Staff pages: the activity's home for instructors, setting up an activity at its link, people and submissions."""

from __future__ import annotations

from celery.result import EagerResult
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug import Response

from assessment.assignment_settings import default_settings
from assessment.db import utcnow
from assessment.errors import InvalidInput, NotAllowed
from assessment.file_checks import checks_to_show, refusal_of
from assessment.messages import N_
from assessment.models import Assignment, Enrollment, Grade, Person
from assessment.peer_review import reviews_received_by
from assessment.services import (
    create_assignment,
    keep_assignment,
    roster,
    student_work,
    switch_assignment,
    waiting_pick,
)
from lti_tool.database import db
from lti_tool.enqueue import enqueue
from lti_tool.forms import ActionForm, NewActivityForm
from lti_tool.views import dashboard
from lti_tool.views.course import LaunchView, role_counts, staff_view
from lti_tool.views.form_errors import show_problems
from lti_tool.views.lms_refusals import last_roster_sync, lms_refusal_page, roster_refusal
from lti_tool.views.reading import version_reader

bp = Blueprint("instructor", __name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def home(view: LaunchView, new_activity: NewActivityForm | None = None) -> str:
    ags = view.link.ags_claim or {}
    context = {
        "view": view,
        "counts": role_counts(db(), view.course.id),
        "can_post_grades": SCORE_SCOPE in (ags.get("scope") or []),
        "has_line_item": bool(ags.get("lineitem") or ags.get("lineitems")),
        "has_roster": bool((view.link.nrps_claim or {}).get("context_memberships_url")),
        "waiting_pick": waiting_pick_of(view),
        "action_form": ActionForm(),
    }
    if view.assignment is None:
        form = new_activity or NewActivityForm(title=view.link.title)
        return render_template("instructor/setup.html", form=form, **context)
    return dashboard.render(view, context)


@bp.app_template_global()
def waiting_pick_of(view: LaunchView) -> Assignment | None:
    """The newer pick staff are asked about on the activity's page, for the notice on their other pages."""
    return waiting_pick(db(), view.link) if view.assignment is not None else None


@bp.post("/links/<int:link_id>/assignment/switch")
def switch_to_pick(link_id: int) -> Response:
    """Open the activity last picked in the LMS at this link; the one it opened before is kept with its work."""
    view = staff_view(link_id)
    earlier = view.require_assignment()
    placement = switch_assignment(db(), view.link, request.form.get("picked", ""))
    db().commit()
    assert placement.assignment is not None
    flash(gettext("This link now opens “%(title)s”. “%(earlier)s” and its students' work are kept, but no longer "
                  "opened from this link.", title=placement.assignment.title, earlier=earlier.title))
    return redirect(url_for("landing.resource_link", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/assignment/keep")
def keep_current(link_id: int) -> Response:
    """Keep the activity the link opens; the newer pick staff were asked about is not asked about again."""
    view = staff_view(link_id)
    kept = keep_assignment(db(), view.link, request.form.get("picked", ""))
    db().commit()
    flash(gettext("“%(title)s” stays open at this link.", title=kept.title))
    return redirect(url_for("landing.resource_link", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/assignment")
def create_at_link(link_id: int) -> Response | tuple[str, int]:
    """Set up the peer assessment of a link the LMS created without the content picker."""
    view = staff_view(link_id)
    if view.assignment is not None:
        raise NotAllowed(N_("This activity is already set up; change it on its settings page."))
    form = NewActivityForm()
    if form.validate_on_submit():
        settings = default_settings(form.title.data, utcnow(), float(form.points_possible.data), form.timezone.data)
        try:
            create_assignment(db(), view.course.id, settings, resource_link_id=view.link.id)
        except InvalidInput as refusal:
            show_problems(form, refusal.problems)
        else:
            db().commit()
            return redirect(url_for("settings.edit", link_id=link_id), 303)
    return home(view, form), 400


@bp.get("/links/<int:link_id>/people")
def people(link_id: int) -> str:
    view = staff_view(link_id)
    enrollments = db().execute(
        select(Enrollment, Person)
        .join(Person, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == view.course.id)
        .order_by(Enrollment.role, Person.family_name, Person.name, Person.id)
    ).all()
    return render_template("instructor/people.html", view=view, enrollments=enrollments, form=ActionForm(),
                           last_sync=last_roster_sync(view.link.last_roster_sync))


@bp.post("/links/<int:link_id>/people/sync")
def sync_people(link_id: int) -> Response | tuple[str, int]:
    """Bring the roster from the LMS now (with no broker configured, right away in this request)."""
    view = staff_view(link_id)
    if not (view.link.nrps_claim or {}).get("context_memberships_url"):
        raise NotAllowed(N_("The LMS did not grant peerlti its roster service; students appear as they open the activity."))
    result = enqueue("peerlti.sync_roster", view.link.id)
    if result is None:
        flash(gettext("The roster could not be synced just now; try again in a few minutes."))
        return redirect(url_for("instructor.people", link_id=link_id), 303)
    if not isinstance(result, EagerResult):  # a worker has it; no result is awaited here
        flash(gettext("Roster sync started; reload in a moment."))
        return redirect(url_for("instructor.people", link_id=link_id), 303)
    outcome = result.result if isinstance(result.result, dict) else {}
    if "refused" in outcome:
        refused = outcome["refused"]
        return lms_refusal_page(roster_refusal(refused.get("status"), bool(refused.get("retryable", True)),
                                               refused.get("cause")))
    flash(gettext("Roster synced from the LMS."))
    return redirect(url_for("instructor.people", link_id=link_id), 303)


@bp.get("/links/<int:link_id>/submissions")
def submissions(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    return render_template("instructor/submissions.html", view=view, assignment=assignment,
                           rows=roster(db(), assignment.id))


@bp.get("/links/<int:link_id>/students/<int:person_id>/work")
def work(link_id: int, person_id: int) -> str:
    """A student's work as they handed it in, text and files, every version, with the reviews it received and the
    grade: for course staff only. The LMS gradebooks open it (SpeedGrader, Moodle's submission review)."""
    view = staff_view(link_id)
    assignment = view.require_assignment()
    row = student_work(db(), assignment.id, person_id)
    versions = row.submission.versions if row.submission else []
    readers = {version.id: version_reader(link_id, version) for version in versions if version.file_key is not None}
    grade = db().scalars(select(Grade).where(Grade.assignment_id == assignment.id,
                                             Grade.person_id == person_id)).one_or_none()
    return render_template("instructor/work.html", view=view, assignment=assignment, row=row, readers=readers,
                           checks=checks_to_show(db(), row.submission), refusal_of=refusal_of, grade=grade,
                           reviews=reviews_received_by(db(), assignment.id, person_id))
