"""Staff grading pages: run grading, triage doubtful grades, compare methods, override, release, follow passback."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from werkzeug import Response

from assessment.aggregation import METHODS
from assessment.assignment_settings import AGGREGATION_METHODS
from assessment.db import utcnow
from assessment.errors import InvalidInput
from assessment.grading import still_in_doubt
from assessment.grading_advice import grading_advice, keep_grading_advice
from assessment.grading_run import compare_methods, override_grade, release_grades, run_grading
from assessment.messages import N_
from assessment.models import Grade, GradePosting, Person, Submission
from assessment.peer_review import open_flags_by_author, reviewer_names
from assessment.phases import Phase
from assessment.score_explanation import from_stored
from assessment.student_dates import waiting_students
from assessment.team_grades import warning_lines
from assessment.warning_dismissals import WarningChoice, dismiss_warning, undo_dismissal
from lti_tool.database import db
from lti_tool.enqueue import enqueue
from lti_tool.forms import ActionForm
from lti_tool.logging_setup import log_event
from lti_tool.metrics import GRADING_SECONDS
from lti_tool.views.course import staff_view
from workers.locks import try_lock
from workers.passback import retry_failed

bp = Blueprint("grading", __name__)
log = logging.getLogger("peerlti.grades")


@bp.get("/links/<int:link_id>/grades")
def grades(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    rows = db().execute(select(Grade, Person).join(Person, Grade.person_id == Person.id)
                        .where(Grade.assignment_id == assignment.id)
                        .order_by(Person.family_name, Person.given_name, Person.id)).all()
    postings = {p.person_id: p for p in db().scalars(
        select(GradePosting).where(GradePosting.assignment_id == assignment.id).order_by(GradePosting.id))}
    flags = open_flags_by_author(db(), assignment.id)
    doubts = {grade.person_id: still_in_doubt(grade.attention, open_flags=flags.get(grade.person_id, 0),
                                              overridden=grade.override_total is not None) for grade, _ in rows}
    return render_template("grading/grades.html", view=view, assignment=assignment,
                           rows=sorted(rows, key=lambda row: not doubts[row[0].person_id]), postings=postings,
                           doubts=doubts, reviewer_names=reviewer_names(db(), assignment.id),
                           explanations={grade.person_id: from_stored(grade.score_explanation) for grade, _ in rows},
                           teammate_warnings={grade.person_id: warning_lines(grade.contribution) for grade, _ in rows},
                           methods=AGGREGATION_METHODS, form=ActionForm(), assess_form=ActionForm(),
                           advice=grading_advice(db(), assignment),
                           waiting=waiting_students(db(), assignment, utcnow()),
                           reviewing_goes_on=assignment.phase_at(utcnow()) in (Phase.SUBMISSION, Phase.CALIBRATION,
                                                                              Phase.REVIEW))


def take_grading_lock(assignment_id: int) -> bool:
    """Take the lock of the grading run (the scheduled one's too, workers/tasks.py) for this request's transaction;
    when a run holds it, roll back and tell staff so (False)."""
    if try_lock(db(), "run_grading", assignment_id):
        return True
    db().rollback()
    flash(gettext("Grades are already being computed for this activity (by a colleague or by the schedule). "
                  "Reload this page in a moment to see them."))
    return False


@bp.post("/links/<int:link_id>/grades/run")
def run(link_id: int) -> Response:
    view = staff_view(link_id)
    method = request.form.get("method") or None
    if method is not None and method not in METHODS:
        raise InvalidInput({"method": N_("Choose one of the listed ways to combine peer scores.")})
    assignment_id = view.require_assignment().id
    # Two tabs, two colleagues, or a tab and the schedule would otherwise compute at once and the second would
    # collide on the grades the first is writing.
    if not take_grading_lock(assignment_id):
        return redirect(url_for("grading.grades", link_id=link_id), 303)
    with GRADING_SECONDS.labels("staff").time():
        computed = run_grading(db(), assignment_id, utcnow(), method)
    db().commit()
    held = sum(1 for grade in computed if grade.held)
    flash(ngettext("Grades computed for %(num)s student.", "Grades computed for %(num)s students.", len(computed)))
    if held:
        flash(ngettext("%(num)s grade needs your attention before release.",
                       "%(num)s grades need your attention before release.", held))
    return redirect(url_for("grading.grades", link_id=link_id), 303)


@bp.get("/links/<int:link_id>/grades/compare")
def compare(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    table = compare_methods(db(), assignment.id)
    authors = dict(db().execute(select(Submission.id, Person.id).join(Person, Submission.author_id == Person.id)
                                .where(Submission.assignment_id == assignment.id)).all())
    people = {p.id: p for p in db().scalars(select(Person).where(Person.id.in_(authors.values())))}
    # The warnings and the work to grade first come from the grades as last computed, whichever method made them.
    return render_template("grading/compare.html", view=view, assignment=assignment, table=table,
                           submissions=sorted(authors), authors=authors, people=people, methods=AGGREGATION_METHODS,
                           advice=grading_advice(db(), assignment),
                           waiting=waiting_students(db(), assignment, utcnow()), assess_form=ActionForm())


@bp.post("/links/<int:link_id>/grades/<int:person_id>/override")
def override(link_id: int, person_id: int) -> Response:
    view = staff_view(link_id)
    raw = (request.form.get("total") or "").strip()
    try:
        total = float(raw) if raw else None
    except ValueError:
        raise InvalidInput({"total": N_("Give the grade as a number of points, or leave it empty to clear.")}) from None
    override_grade(db(), view.require_assignment().id, person_id, total, request.form.get("reason", ""),
                   view.person.id, utcnow())
    db().commit()
    flash(gettext("Override saved.") if total is not None else gettext("Override cleared."))
    return redirect(url_for("grading.grades", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/grades/release")
def release(link_id: int) -> Response:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    was_released = assignment.phase_at(utcnow()) is Phase.RELEASED
    postings = release_grades(db(), assignment.id, utcnow())
    db().commit()
    log_event(log, "grades.released", assignment_id=assignment.id, person_id=view.person.id, postings=len(postings))
    if not was_released:
        flash(gettext("Results are now open to students: they read the grades the gradebook receives."))
    if not postings:
        flash(gettext("No grade changed since the last release; nothing was sent again."))
    elif _send(posting.id for posting in postings):
        flash(ngettext("%(num)s grade released and sent to the gradebook.",
                       "%(num)s grades released and sent to the gradebook.", len(postings)))
    else:
        flash(ngettext("%(num)s grade released; it will be sent to the gradebook shortly.",
                       "%(num)s grades released; they will be sent to the gradebook shortly.", len(postings)))
    return redirect(url_for("grading.grades", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/grades/postings/<int:posting_id>/retry")
def retry(link_id: int, posting_id: int) -> Response:
    view = staff_view(link_id)
    retry_failed(db(), view.require_assignment().id, posting_id, utcnow())
    db().commit()
    log_event(log, "grade.posting_retried", posting_id=posting_id, person_id=view.person.id)
    flash(gettext("Sent again.") if _send([posting_id]) else gettext("It will be sent again shortly."))
    return redirect(url_for("grading.grades", link_id=link_id), 303)


# The pages whose advice lists the warnings, by the "back" field of their forms: the dismissal leads back there.
ADVICE_PAGES = {"dashboard": "landing.resource_link", "grades": "grading.grades", "compare": "grading.compare"}


@bp.post("/links/<int:link_id>/grades/warnings/dismiss")
def dismiss(link_id: int) -> Response:
    view = staff_view(link_id)
    choice = WarningChoice.parse(request.form.getlist("reviewer"), request.form.get("kind", ""))
    assignment, now = view.require_assignment(), utcnow()
    dismiss_warning(db(), assignment.id, choice, view.person.id, now)
    keep_grading_advice(db(), assignment, now)  # the work to grade first weighs open warnings only
    db().commit()
    log_event(log, "warning.dismissed", link_id=link_id, person_id=view.person.id, kind=choice.kind,
              reviewers=len(choice.reviewers))
    flash(gettext("Warning dismissed. It stays dismissed, whatever later grading runs find, until you undo it."))
    return _back_to_advice(link_id)


@bp.post("/links/<int:link_id>/grades/warnings/undo")
def undo_dismiss(link_id: int) -> Response:
    view = staff_view(link_id)
    choice = WarningChoice.parse(request.form.getlist("reviewer"), request.form.get("kind", ""))
    assignment = view.require_assignment()
    undo_dismissal(db(), assignment.id, choice)
    keep_grading_advice(db(), assignment, utcnow())
    db().commit()
    log_event(log, "warning.restored", link_id=link_id, person_id=view.person.id, kind=choice.kind,
              reviewers=len(choice.reviewers))
    flash(gettext("The warning is shown again."))
    return _back_to_advice(link_id)


def _back_to_advice(link_id: int) -> Response:
    endpoint = ADVICE_PAGES.get(request.form.get("back", ""), "grading.grades")
    return redirect(url_for(endpoint, link_id=link_id), 303)


def _send(posting_ids: Iterable[int]) -> bool:
    """Hand postings to the workers (or, with no broker, post them right away in this process).

    False when the broker did not take them all: they are committed and the grade sweep sends them within a minute."""
    # At the first refusal the rest are left to the sweep: each try may cost a broker timeout.
    return all(enqueue("peerlti.post_grade", posting_id) is not None for posting_id in posting_ids)
