"""Teammate evaluation pages: staff's settings and reading of every rating; a member rating their teammates."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug import Response
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Optional

from assessment.contribution import FactorPolicy, FixedFactor, Penalty
from assessment.db import utcnow
from assessment.errors import InvalidInput, NotAllowed
from assessment.messages import N_
from assessment.models import Assignment
from assessment.teammate_evaluation import COMMENT_LIMIT, DEFAULT_CRITERIA, RatingCriterion, TeammateEvaluation
from assessment.teammate_ratings import (
    RatingInput,
    RatingsLocked,
    evaluation_locks,
    rating_sheet,
    save_rating,
    set_teammate_evaluation,
    team_ratings,
)
from lti_tool.database import db
from lti_tool.forms import ActionForm, DecimalField, TranslatedForm, required
from lti_tool.i18n import translate
from lti_tool.views.course import LaunchView, launched_view, staff_view
from lti_tool.views.form_errors import show_problems

bp = Blueprint("teammate_ratings", __name__)

PENALTY, FACTOR = "penalty", "factor"
DEFAULT_LABELS = {criterion.label: criterion for criterion in DEFAULT_CRITERIA}


class EvaluationForm(TranslatedForm):
    enabled = BooleanField(_l("Teammates rate each other after the work is in"))
    criteria = TextAreaField(_l("Criteria, one a line"))
    low = IntegerField(_l("Lowest rating"), default=1, validators=[required()])
    high = IntegerField(_l("Highest rating"), default=5, validators=[required()])
    include_self = BooleanField(_l("Members also rate themselves, and their self-rating counts in their factor"))
    weight = DecimalField(_l("Share of the grade the contribution factor moves (%)"), default=Decimal(100),
                          validators=[required()])
    cap = DecimalField(_l("Highest factor counted (empty: no cap)"), validators=[Optional()])
    non_rater = RadioField(_l("Members who did not rate"), default=PENALTY, choices=[
        SelectChoice(PENALTY, _l("Keep the factor their teammates gave them, less a penalty")),
        SelectChoice(FACTOR, _l("Get a fixed factor instead"))], validators=[required()])
    non_rater_penalty = DecimalField(_l("Penalty for not rating (%), taken off the grade"), default=Decimal(0),
                                     validators=[Optional()])
    non_rater_factor = DecimalField(_l("Fixed factor for members who did not rate"), default=Decimal(1),
                                    validators=[Optional()])

    @classmethod
    def from_evaluation(cls, evaluation: TeammateEvaluation | None) -> EvaluationForm:
        form = cls(formdata=None)
        form.enabled.data = evaluation is not None
        evaluation = evaluation or TeammateEvaluation()
        form.criteria.data = "\n".join(translate(DEFAULT_LABELS[c.label].label) if c.label in DEFAULT_LABELS
                                       else c.label for c in evaluation.criteria)
        form.low.data, form.high.data, form.include_self.data = evaluation.low, evaluation.high, evaluation.include_self
        policy = evaluation.policy
        form.weight.data = Decimal(str(round(policy.weight * 100, 4)))
        form.cap.data = None if policy.cap is None else Decimal(str(policy.cap))
        if isinstance(policy.non_rater, FixedFactor):
            form.non_rater.data, form.non_rater_factor.data = FACTOR, Decimal(str(policy.non_rater.factor))
        else:
            form.non_rater.data = PENALTY
            form.non_rater_penalty.data = Decimal(str(round(policy.non_rater.share * 100, 4)))
        return form

    def to_evaluation(self, current: TeammateEvaluation | None) -> TeammateEvaluation | None:
        if not self.enabled.data:
            return None
        non_rater: Penalty | FixedFactor = (
            FixedFactor(float(self.non_rater_factor.data if self.non_rater_factor.data is not None else -1))
            if self.non_rater.data == FACTOR
            else Penalty(float(self.non_rater_penalty.data or 0) / 100))
        return TeammateEvaluation(
            criteria=criteria_from_lines(self.criteria.data or "", current),
            low=self.low.data, high=self.high.data, include_self=bool(self.include_self.data),
            policy=FactorPolicy(weight=float(self.weight.data) / 100,
                                cap=None if self.cap.data is None else float(self.cap.data), non_rater=non_rater))


def criteria_from_lines(text: str, current: TeammateEvaluation | None) -> tuple[RatingCriterion, ...]:
    """The criteria as written, one a line. A criterion keeps its key while its name stays (ratings are stored under
    the key); a default criterion is known by its English name or its name in the page's language, and kept in
    English so each reader sees it in their own. A new name's key comes from the name, so two lines of one name
    clash and are refused."""
    known = {criterion.label: criterion.key for criterion in (current.criteria if current else ())}
    english = {}
    for criterion in DEFAULT_CRITERIA:
        for name in (str(criterion.label), str(translate(criterion.label))):
            known.setdefault(name, criterion.key)
            english[name] = str(criterion.label)
    criteria = []
    for line in (line.strip() for line in text.splitlines()):
        if line:
            key = known.get(line) or "c" + hashlib.sha256(line.encode()).hexdigest()[:10]
            criteria.append(RatingCriterion(key, english.get(line, line)))
    return tuple(criteria)


# Where the domain's problems are shown on the form.
PROBLEM_FIELDS = {"scale": "high"}


@bp.route("/links/<int:link_id>/teammate-evaluation", methods=["GET", "POST"])
def settings(link_id: int) -> Response | str | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    current = assignment.teammate_evaluation
    form = EvaluationForm() if request.method == "POST" else EvaluationForm.from_evaluation(current)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate_on_submit():
            try:
                set_teammate_evaluation(db(), assignment.id, form.to_evaluation(current))
            except RatingsLocked as refusal:
                db().rollback()
                form.form_errors.append(translate(refusal.message))
                show_problems(form, refusal.problems, PROBLEM_FIELDS)
                status = 409
            except NotAllowed as refusal:
                db().rollback()
                form.form_errors.append(translate(refusal.message))
                status = 409
            except InvalidInput as refusal:
                db().rollback()
                aliases = PROBLEM_FIELDS | {"non_rater": f"non_rater_{form.non_rater.data}"}
                show_problems(form, refusal.problems, aliases)
            else:
                db().commit()
                flash(gettext("Teammate evaluation saved."))
                return redirect(url_for("teammate_ratings.settings", link_id=link_id), 303)
    locks = {name: translate(reason) for name, reason in evaluation_locks(db(), assignment).items()}
    return render_template("instructor/teammate_evaluation.html", view=view, assignment=assignment, form=form,
                           locks=locks), status


def criterion_label(label: str) -> str:
    """A default criterion's name in the page's language; an instructor's own as written."""
    default = DEFAULT_LABELS.get(label)
    return translate(default.label) if default else label


def _student_view(link_id: int) -> tuple[LaunchView, Assignment]:
    # Whether they are a student of the course is the domain's check (staff are refused there, with their page).
    view = launched_view(link_id)
    return view, view.require_assignment()


@bp.get("/links/<int:link_id>/teammates")
def sheet(link_id: int) -> str:
    view, assignment = _student_view(link_id)
    return _sheet_page(view, assignment)


def _sheet_page(view: LaunchView, assignment: Assignment, problems: dict[int, dict[str, str]] | None = None,
                posted: dict[int, dict[str, str]] | None = None) -> str:
    return render_template("student/teammates.html", view=view, assignment=assignment,
                           sheet=rating_sheet(db(), assignment, view.person.id, utcnow()), problems=problems or {},
                           posted=posted or {}, form=ActionForm(), label=criterion_label, comment_limit=COMMENT_LIMIT)


def _posted_score(raw: str) -> object:
    # A number stays what it is, so the domain can refuse 2.5 or 9 on a 1-5 scale with its own message.
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw


@bp.post("/links/<int:link_id>/teammates/<int:ratee_id>")
def rate(link_id: int, ratee_id: int) -> Response | tuple[str, int]:
    view, assignment = _student_view(link_id)
    form = ActionForm()
    if not form.validate_on_submit():
        raise InvalidInput({"form": N_("The form had expired; open the page again and rate once more.")})
    scores = {name.removeprefix("score-"): _posted_score(value.strip()) for name, value in request.form.items()
              if name.startswith("score-") and value.strip()}
    comment = request.form.get("comment", "")
    try:
        save_rating(db(), assignment.id, RatingInput(view.person.id, ratee_id, scores, comment), utcnow())
    except InvalidInput as refusal:
        db().rollback()
        if "ratee" in refusal.problems:
            raise
        problems = {ratee_id: {key: translate(text) for key, text in refusal.problems.items()}}
        return _sheet_page(view, assignment, problems, {ratee_id: dict(request.form)}), 400
    db().commit()
    flash(gettext("Rating saved. You can change it until results are released."))
    return redirect(url_for("teammate_ratings.sheet", link_id=link_id, _anchor=f"teammate-{ratee_id}"), 303)


@bp.get("/links/<int:link_id>/teammate-ratings")
def staff_ratings(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    return render_template("instructor/teammate_ratings.html", view=view, assignment=assignment,
                           evaluation=assignment.teammate_evaluation, teams=team_ratings(db(), assignment),
                           label=criterion_label)
