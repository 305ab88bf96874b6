"""Feedback received: after results are released, authors read their reviews, rate them and flag unfair ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug import Response

from assessment.db import utcnow
from assessment.errors import InvalidInput
from assessment.messages import N_
from assessment.models import Assignment, FlagReason, Review, ReviewKind
from assessment.peer_review import flag_review, flags_on, rate_review, received_reviews
from assessment.visibility import reviewer_label
from lti_tool.database import db
from lti_tool.forms import ActionForm, whole_number
from lti_tool.views.course import launched_view

bp = Blueprint("feedback", __name__)



@bp.get("/links/<int:link_id>/feedback")
def received(link_id: int, problems: dict[str, str] | None = None) -> str:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    reviews = received_reviews(db(), assignment.id, view.person.id, utcnow())
    return render_template("reviewing/feedback.html", view=view, assignment=assignment,
                           reviews=labelled_for_author(assignment, reviews), form=ActionForm(),
                           flags=flags_on(db(), [review.id for review in reviews]),
                           reasons=list(FlagReason), problems=problems or {})


def labelled_for_author(assignment: Assignment, reviews: list[Review]) -> list[tuple[str, Review]]:
    """The reviews an author received, each with what the author may see of its reviewer ("Reviewer 2")."""
    peers = [review for review in reviews if review.kind is ReviewKind.PEER]
    return [
        (reviewer_label(assignment.anonymity, peers.index(review) + 1 if review in peers else 0,
                        # A team's review is the team's, named (in open mode only) by the team, not its claimer.
                        review.reviewing_team.name if review.reviewing_team is not None
                        else review.reviewer.display_name,
                        staff_review=review.kind is ReviewKind.STAFF, viewer_is_staff=False), review)
        for review in reviews
    ]


@bp.post("/links/<int:link_id>/feedback/<int:review_id>/rating")
def rate(link_id: int, review_id: int) -> Response | tuple[str, int]:
    view = launched_view(link_id)
    try:
        rate_review(db(), review_id, view.person.id, whole_number(request.form.get("helpfulness")),
                    request.form.get("comment", ""), utcnow())
    except InvalidInput as refusal:
        db().rollback()
        return received(link_id, {str(review_id): refusal.message}), 400
    db().commit()
    flash(gettext("Thank you for rating this review."))
    return redirect(url_for("feedback.received", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/feedback/<int:review_id>/flag")
def flag(link_id: int, review_id: int) -> Response | tuple[str, int]:
    view = launched_view(link_id)
    try:
        reason = FlagReason(request.form.get("reason", ""))
    except ValueError:
        return received(link_id, {str(review_id): N_("Choose whether the review is unfair or inappropriate.")}), 400
    try:
        flag_review(db(), review_id, view.person.id, reason, request.form.get("explanation", ""), utcnow())
    except InvalidInput as refusal:
        db().rollback()
        return received(link_id, {str(review_id): refusal.message}), 400
    db().commit()
    flash(gettext("The review was flagged; course staff will look at it."))
    return redirect(url_for("feedback.received", link_id=link_id), 303)

