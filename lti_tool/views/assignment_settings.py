"""Staff pages to change an assignment's settings and to move its phase by hand."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug import Response

from assessment.aggregation import MIN_REVIEWS_TO_TRIM
from assessment.db import utcnow
from assessment.errors import InvalidInput, SettingsChanged, SettingsLocked
from assessment.messages import N_
from assessment.phases import PHASE_NAMES, Phase
from assessment.rich_text import render_markdown
from assessment.services import sanitise_html, set_phase, settings_locks, update_settings
from lti_tool.database import db
from lti_tool.forms import INSTRUCTIONS_HTML, MAX_INSTRUCTIONS_CHARACTERS, PhaseForm, SettingsForm
from lti_tool.i18n import translate
from lti_tool.templating import local_time
from lti_tool.views.course import staff_view
from lti_tool.views.form_errors import show_problems

bp = Blueprint("settings", __name__)

# The domain names the instructions by what it stores; the form, by what the instructor writes.
PROBLEM_FIELDS = {"instructions_html": "instructions"}


@bp.route("/links/<int:link_id>/settings", methods=["GET", "POST"])
def edit(link_id: int) -> Response | str | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    form = SettingsForm() if request.method == "POST" else SettingsForm.from_settings(assignment.settings)
    status = 400 if form.is_submitted() else 200
    preview = None
    if form.is_submitted() and request.form.get("preview"):
        # Shown as students will see it, rendered and cleaned as a save would; nothing is saved.
        preview, status = instructions_preview(form), 200
    elif form.validate_on_submit():
        try:
            update_settings(db(), assignment.id, form.to_settings(), utcnow(), seen=form.settings_seen.data or None)
        except SettingsChanged as refusal:
            db().rollback()
            form.form_errors.append(translate(refusal.message))
            form.settings_seen.data = assignment.settings.fingerprint()  # saving again is now a decision
            status = 409
        except SettingsLocked as refusal:
            db().rollback()
            form.form_errors.append(translate(refusal.message))
            show_problems(form, refusal.problems, PROBLEM_FIELDS)
            status = 409
        except InvalidInput as refusal:
            show_problems(form, refusal.problems, PROBLEM_FIELDS)
        else:
            db().commit()
            flash(gettext("Settings saved."))
            return redirect(url_for("landing.resource_link", link_id=link_id), 303)
    locks = {name: translate(reason) for name, reason in settings_locks(db(), assignment, utcnow()).items()}
    return render_template("instructor/settings.html", view=view, assignment=assignment, form=form,
                           locks=locks, min_reviews_to_trim=MIN_REVIEWS_TO_TRIM, preview=preview), status


def instructions_preview(form: SettingsForm) -> str:
    text = (form.instructions.data or "")[:MAX_INSTRUCTIONS_CHARACTERS]
    if form.instructions_format.data == INSTRUCTIONS_HTML:
        return sanitise_html(text)
    return render_markdown(text, "")


@bp.post("/links/<int:link_id>/phase")
def move_phase(link_id: int) -> Response:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    form = PhaseForm()
    if not form.validate_on_submit():
        raise InvalidInput({"phase": N_("Choose a phase from the list.")})
    was_held = assignment.phase_override is Phase.SETUP
    set_phase(db(), assignment.id, Phase(form.phase.data) if form.phase.data else None)
    db().commit()
    if was_held and not form.phase.data:
        flash(gettext("The activity is open and follows its dates: students can hand in work from %(date)s.",
                      date=local_time(assignment.submission_opens, assignment.timezone)))
    elif form.phase.data:
        flash(gettext("Moved to the %(phase)s phase.", phase=translate(PHASE_NAMES[Phase(form.phase.data)])))
    else:
        flash(gettext("The assignment now follows its dates."))
    return redirect(url_for("landing.resource_link", link_id=link_id), 303)
