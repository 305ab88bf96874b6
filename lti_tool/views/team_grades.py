"""Staff's view of team work's grades: each team's members, factors, grades and warnings, factor overrides, exports."""

from __future__ import annotations

import math
from collections.abc import Iterator

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug import Response

from assessment.db import utcnow
from assessment.models import Assignment
from assessment.team_grades import MAX_OVERRIDE_FACTOR, override_factor
from assessment.team_overview import MemberRow, RatingRecord, TeamGradesRow, rating_records, team_grades
from lti_tool.database import db
from lti_tool.forms import ActionForm
from lti_tool.spreadsheet import csv_lines, csv_response, file_name, number_cell, time_cell
from lti_tool.templating import stored_message
from lti_tool.views.course import staff_view
from lti_tool.views.grading import take_grading_lock

bp = Blueprint("team_grades", __name__)


@bp.get("/links/<int:link_id>/teams/grades")
def page(link_id: int) -> str:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    return render_template("instructor/team_grades.html", view=view, assignment=assignment,
                           overview=team_grades(db(), assignment), form=ActionForm(), max_factor=MAX_OVERRIDE_FACTOR)


# Instructors and teaching assistants alike: a TA may already override a whole grade, and a factor is a narrower
# change of the same grade, kept with who set it and why.
@bp.post("/links/<int:link_id>/teams/grades/<int:person_id>/factor")
def set_factor(link_id: int, person_id: int) -> Response:
    view = staff_view(link_id)
    raw = (request.form.get("factor") or "").strip().replace(",", ".")
    try:
        factor = float(raw) if raw else None
    except ValueError:
        factor = math.nan  # refused below with the range, as any other number out of it
    assignment_id = view.require_assignment().id
    # The grading run's lock: a run that read the overrides before this one and wrote grades after it would leave the
    # member's grade without the factor just set.
    if not take_grading_lock(assignment_id):
        return redirect(url_for("team_grades.page", link_id=link_id), 303)
    override_factor(db(), assignment_id, person_id, factor, request.form.get("reason", ""), view.person.id, utcnow())
    db().commit()
    flash(gettext("Contribution factor set; the member's grade is worked out again. Release grades to send it.")
          if factor is not None else gettext("Contribution factor cleared; the ratings decide it again."))
    return redirect(url_for("team_grades.page", link_id=link_id) + f"#member-{person_id}", 303)


@bp.get("/links/<int:link_id>/export/teams.csv")
def teams_csv(link_id: int) -> Response:
    """One line per member: their team, its work and grade, and their factor and grade."""
    view = staff_view(link_id)
    assignment = view.require_assignment()
    header = [gettext("Team"), gettext("Team code"), gettext("Student"), gettext("Email"), gettext("Handed in"),
              gettext("Team's work points"), gettext("Factor from ratings"), gettext("Did not rate"),
              gettext("Factor set by staff"), gettext("Reason"), gettext("Factor applied"), gettext("Final grade"),
              gettext("Points possible"), gettext("Warnings")]
    overview = team_grades(db(), assignment)

    def lines() -> Iterator[list[object]]:
        for team in overview.teams:
            for member in team.members:
                yield _team_line(team, member, assignment)

    return csv_response(csv_lines(header, lines()), file_name("teams", assignment.title))


def _team_line(team: TeamGradesRow, member: MemberRow, assignment: Assignment) -> list[object]:
    override, grade = member.override, member.grade
    warnings = [*member.warnings, *team.team_warnings]
    return [
        team.name, team.code, member.person.display_name, member.person.email or "",
        gettext("yes") if team.submission is not None and team.submission.versions else gettext("no"),
        number_cell(team.team_points) if team.team_points is not None else "",
        number_cell(round(member.factor, 3)) if member.factor is not None else "",
        (gettext("yes") if member.did_not_rate else gettext("no")) if member.factor is not None else "",
        number_cell(override.factor) if override else "", override.reason if override else "",
        number_cell(round(member.applied, 3)) if member.applied is not None else "",
        number_cell(grade.final) if grade else "", number_cell(assignment.points_possible),
        "; ".join(f"{stored_message(label)}: {stored_message(evidence)}" for label, evidence in warnings),
    ]


@bp.get("/links/<int:link_id>/export/teammate-ratings.csv")
def ratings_csv(link_id: int) -> Response:
    """Every teammate rating, with both names, each criterion, the comment and whether the factors count it."""
    view = staff_view(link_id)
    assignment = view.require_assignment()
    evaluation = assignment.teammate_evaluation
    criteria = evaluation.criteria if evaluation else ()
    header = [gettext("Team"), gettext("Rater"), gettext("Rater email"), gettext("Rated"), gettext("Rated email"),
              *(criterion.label for criterion in criteria), gettext("Total"), gettext("Comment"),
              gettext("Submitted at"), gettext("Counted")]

    def lines() -> Iterator[list[object]]:
        for record in rating_records(db(), assignment):
            yield _rating_line(record, [criterion.key for criterion in criteria], assignment)

    return csv_response(csv_lines(header, lines()), file_name("teammate-ratings", assignment.title))


def _rating_line(record: RatingRecord, keys: list[str], assignment: Assignment) -> list[object]:
    scores = [number_cell(record.scores[key]) if key in record.scores else "" for key in keys]
    return [record.team, record.rater.display_name, record.rater.email or "", record.ratee.display_name,
            record.ratee.email or "", *scores, number_cell(record.total), record.comment,
            time_cell(record.submitted_at, assignment.timezone),
            gettext("yes") if record.set_aside is None else stored_message(record.set_aside)]
