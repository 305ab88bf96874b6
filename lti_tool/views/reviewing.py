"""Reviewing pages: ask for work, fill in the rubric for a submission, self-assess; staff assessments too."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy.orm import Session
from werkzeug import Response

from assessment.calibration_training import student_status
from assessment.db import utcnow
from assessment.errors import AssessmentError, InvalidInput, NotAllowed, NotFound, NothingToReview
from assessment.messages import N_
from assessment.models import Assignment, Review, ReviewKind
from assessment.peer_review import (
    HandedOut,
    ReviewChanged,
    ReviewerContext,
    ReviewInput,
    request_bonus_review,
    request_review,
    review_for,
    review_to_read,
    save_review,
    staff_assessment,
    start_self_assessment,
    why_review_is_closed,
)
from assessment.reading import DOWNLOAD_TURNED_OFF, file_is_ready, may_download_under_review
from assessment.visibility import author_label, team_label
from lti_tool.database import db
from lti_tool.forms import ActionForm
from lti_tool.i18n import translate
from lti_tool.metrics import REVIEW_QUEUE
from lti_tool.views.course import LaunchView, launched_view, staff_view
from lti_tool.views.files import stored_file_download
from lti_tool.views.reading import review_reader
from lti_tool.views.rubric_entry import read_rubric_entry

bp = Blueprint("reviewing", __name__)


@bp.post("/links/<int:link_id>/reviews/next")
def next_review(link_id: int) -> Response:
    return _hand_out(link_id, request_review)


@bp.post("/links/<int:link_id>/reviews/bonus")
def bonus_review(link_id: int) -> Response:
    """An extra review a student who did their quota chose to take, of work short of its reviews."""
    return _hand_out(link_id, request_bonus_review)


def _hand_out(link_id: int, hand_out: Callable[[Session, ReviewerContext, datetime], HandedOut]) -> Response:
    """Open the review the queue hands the student (their next one, or a bonus one), or say why there is none."""
    view = launched_view(link_id)
    assignment = view.require_assignment()
    calibration = student_status(db(), assignment, view.person.id)
    return _open_review(link_id, lambda: _counted(lambda: hand_out(
        db(), ReviewerContext(assignment.id, view.person.id, calibration.done), utcnow())))


def _counted(obtain: Callable[[], HandedOut]) -> HandedOut:
    """The review queue's outcome for /metrics: work handed out, nothing to hand out now, or refused."""
    try:
        review = obtain()
    except NothingToReview:
        REVIEW_QUEUE.labels("nothing_to_review").inc()
        raise
    except AssessmentError:
        REVIEW_QUEUE.labels("refused").inc()
        raise
    REVIEW_QUEUE.labels("handed_out").inc()
    return review


@bp.post("/links/<int:link_id>/self-assessment")
def self_assessment(link_id: int) -> Response:
    view = launched_view(link_id)
    return _open_review(link_id, lambda: start_self_assessment(
        db(), view.require_assignment().id, view.person.id, utcnow()))


def _open_review(link_id: int, obtain: Callable[[], Review | HandedOut]) -> Response:
    """Go to the review the queue hands out, or back to the activity saying why there is none."""
    try:
        review = obtain()
    except NothingToReview as reason:
        db().rollback()
        flash(translate(reason.message))
        return redirect(url_for("landing.resource_link", link_id=link_id), 303)
    db().commit()
    return redirect(url_for("reviewing.review", link_id=link_id, review_id=review.id), 303)


@bp.post("/links/<int:link_id>/submissions/<int:submission_id>/staff-review")
def start_staff_review(link_id: int, submission_id: int) -> Response:
    view = staff_view(link_id)
    review = staff_assessment(db(), view.require_assignment().id, submission_id, view.person.id, utcnow())
    db().commit()
    return redirect(url_for("reviewing.review", link_id=link_id, review_id=review.id), 303)


@bp.route("/links/<int:link_id>/reviews/<int:review_id>", methods=["GET", "POST"])
def review(link_id: int, review_id: int) -> Response | str | tuple[str, int]:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    # A post is refused by save_review with the reason (409); a page is shown only while the review is the reader's.
    posting = request.method == "POST"
    item = review_for(db(), review_id, view.person.id) if posting else review_to_read(db(), review_id, view.person.id,
                                                                                      utcnow())
    if item.assignment_id != assignment.id:
        raise NotFound(N_("That review does not exist."))
    problems: dict[str, str] = {}
    if posting and ActionForm().validate_on_submit():
        entry = read_rubric_entry(assignment.rubric, request.form) if assignment.rubric else None
        submit = request.form.get("action") == "submit"
        try:
            if entry is None or entry.unreadable:
                raise InvalidInput(entry.unreadable if entry else {"rubric": N_("This assignment has no rubric yet.")})
            loaded_at = request.form.get("version", type=int)  # the version the form was loaded at
            save_review(db(), item.id, view.person.id,
                        ReviewInput(entry.selections, entry.comments, submit, loaded_at), utcnow())
        except InvalidInput as refusal:
            db().rollback()
            problems = refusal.problems
        except ReviewChanged as refusal:
            # Another tab saved first: show what is saved now (with its version), never a mix of the two saves.
            db().rollback()
            item = review_for(db(), review_id, view.person.id)
            db().refresh(item)
            return _review_page(view, assignment, item, item.selections, item.comments, {},
                                changed=translate(refusal.message)), 409
        else:
            db().commit()
            flash(gettext("Review submitted. Thank you!") if submit else gettext("Draft saved."))
            return redirect(url_for("landing.resource_link", link_id=link_id) if submit
                            else url_for("reviewing.review", link_id=link_id, review_id=review_id), 303)
        selections, comments = entry.selections if entry else {}, entry.comments if entry else {}
    else:
        selections, comments = item.selections, item.comments
    return _review_page(view, assignment, item, selections, comments, problems), 400 if problems else 200


def _review_page(view: LaunchView, assignment: Assignment, item: Review, selections: Mapping[str, float],
                 comments: Mapping[str, str], problems: dict[str, str], changed: str | None = None) -> str:
    closed = why_review_is_closed(db(), item, utcnow(), view.person.id)
    version = item.assessed_version
    reader = None
    if version is not None and version.file_key is not None:
        reader = review_reader(view.link.id, item, version, _may_download(view, assignment, item))
    return render_template(
        "reviewing/review.html", view=view, assignment=assignment, review=item, form=ActionForm(),
        selections=selections, comments=comments, problems=problems, now=utcnow(), changed=changed,
        author=translate(_whose_work(assignment, item, view)),
        version=version, reader=reader, closed=translate(closed) if closed else None,
    )


def _whose_work(assignment: Assignment, item: Review, view: LaunchView) -> str:
    """The author (or team) of the work under review as this reader may know it; a team is never named by members."""
    viewer_is_staff = view.is_staff or item.kind is ReviewKind.SELF
    team = item.submission.team
    if team is not None:
        return team_label(assignment.anonymity, team.code, team.name, viewer_is_staff=viewer_is_staff)
    return author_label(assignment.anonymity, item.submission.pseudonym, item.submission.author.display_name,
                        viewer_is_staff=viewer_is_staff)


def _may_download(view: LaunchView, assignment: Assignment, item: Review) -> bool:
    return may_download_under_review(assignment.reviewers_may_download, item.kind is ReviewKind.PEER, view.is_staff)


@bp.get("/links/<int:link_id>/reviews/<int:review_id>/file")
def review_file(link_id: int, review_id: int) -> Response:
    """The file of the version under review, under its neutral name, while the review is the reader's (and the
    assignment lets its reviewers download it)."""
    view = launched_view(link_id)
    assignment = view.require_assignment()
    item: Review = review_to_read(db(), review_id, view.person.id, utcnow())
    version = item.assessed_version
    if item.assignment_id != assignment.id or version is None or not file_is_ready(version):
        raise NotFound(N_("That file does not exist."))
    if not _may_download(view, assignment, item):
        raise NotAllowed(DOWNLOAD_TURNED_OFF)
    assert version.file_key is not None  # file_is_ready
    return stored_file_download(version.file_key, version.file_name or "submission", version.file_kind)
