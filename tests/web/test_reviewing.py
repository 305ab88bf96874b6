"""Peer review through the pages: the queue, the review form, self-assessment, feedback, flags and staff tools."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from assessment.models import Review, ReviewFlag, ReviewKind, ReviewStatus, Submission
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.conftest import review_everything


def _criteria_keys(session) -> tuple[str, str]:
    from assessment.models import Assignment

    rubric = see_committed(session).scalars(select(Assignment)).one().rubric
    return rubric.criteria[0].key, rubric.criteria[1].key


def _ask(visitor: Visitor):
    return visitor.post("/links/{link}/reviews/next", {})


def _review_id(response) -> int:
    match = re.search(r"/reviews/(\d+)$", response.url)
    assert match, f"not on a review page: {response.url}"
    return int(match[1])


def _complete(visitor: Visitor, review_id: int, keys: tuple[str, str], submit: bool = True):
    argument, style = keys
    return visitor.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": "Shorter sentences would help.",
        "action": "submit" if submit else "draft"})


def test_the_queue_never_hands_out_own_work_and_prefers_the_least_reviewed(class_in_review, session):
    first = _ask(class_in_review["student-1"])
    second = _ask(class_in_review["student-2"])

    reviews = see_committed(session).scalars(select(Review).order_by(Review.id)).all()
    assert [r.reviewer.subject for r in reviews] == ["student-1", "student-2"]
    assert all(r.submission.author_id != r.reviewer_id for r in reviews)
    assert reviews[0].submission_id != reviews[1].submission_id  # spread out: each goes to the least loaded
    assert _review_id(first) == reviews[0].id and _review_id(second) == reviews[1].id


def test_asking_again_serves_the_review_already_held(class_in_review, session):
    first = _review_id(_ask(class_in_review["student-1"]))

    assert _review_id(_ask(class_in_review["student-1"])) == first


def test_a_review_must_score_every_criterion_and_meet_comment_rules(class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    argument, style = _criteria_keys(session)

    missing = student.post(f"/links/{{link}}/reviews/{review_id}", {f"score-{argument}": "4", "action": "submit"})
    wrong_level = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{argument}": "3", f"score-{style}": "5", f"comment-{style}": "Long enough comment.", "action": "submit"})
    short = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{argument}": "4", f"score-{style}": "5", f"comment-{style}": "Too short", "action": "submit"})

    assert missing.status_code == 400 and "Choose a score" in page_text(missing)
    assert wrong_level.status_code == 400
    assert short.status_code == 400 and "10" in page_text(short)
    assert see_committed(session).get(Review, review_id).status is ReviewStatus.ASSIGNED


def test_a_draft_is_kept_then_submitted_and_editable_until_the_deadline(class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    keys = _criteria_keys(session)

    draft = student.post(f"/links/{{link}}/reviews/{review_id}", {f"score-{keys[0]}": "2", "action": "draft"})
    assert "Draft saved" in draft.text and 'value="2" checked' in draft.text
    submitted = _complete(student, review_id, keys)
    review = see_committed(session).get(Review, review_id)
    assert "Review submitted" in submitted.text and review.status is ReviewStatus.SUBMITTED
    assert review.score == pytest.approx(50 * (2 * 1.0 + 1 * 0.7) / 3)  # weighted on the assignment's 50 points

    edited = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{keys[0]}": "2", f"score-{keys[1]}": "7", f"comment-{keys[1]}": "Shorter sentences would help.",
        "action": "submit"})
    assert edited.status_code == 200 and see_committed(session).get(Review, review_id).selections[keys[0]] == 2


def test_each_submission_gets_k_reviews_then_the_reviewer_is_told_why_there_is_no_more(class_in_review, session):
    keys = _criteria_keys(session)
    for _ in range(3):  # every student does the 3 reviews each must do; 4 submissions x 3 reviews
        for student in class_in_review.values():
            _complete(student, _review_id(_ask(student)), keys)

    loads = see_committed(session).scalars(select(Submission.review_load)).all()
    assert sorted(loads) == [3, 3, 3, 3]
    done = _ask(class_in_review["student-1"])
    assert "You have done all 3 reviews" in page_text(done)


def test_a_lease_that_ran_out_returns_the_submission_to_the_pool(class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    session.execute(update(Review).where(Review.id == review_id)
                    .values(lease_expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.commit()

    again = _ask(student)

    assert _review_id(again) != review_id
    assert see_committed(session).get(Review, review_id).status is ReviewStatus.EXPIRED
    keys = _criteria_keys(session)
    late = _complete(student, review_id, keys)
    assert late.status_code == 409 and "time ran out" in page_text(late)


def test_reviewers_see_a_pseudonym_and_a_neutral_file_never_the_author(class_in_review, session):
    student = class_in_review["student-1"]
    page = _ask(student)
    review = see_committed(session).get(Review, _review_id(page))
    author = review.submission.author

    text = page_text(page)
    assert f"Submission {review.submission.pseudonym}" in text
    for secret in (author.name, author.email, author.subject, f"{author.subject}_essay.pdf", f"Author {author.subject}"):
        assert secret not in text
    file = student.get(f"/links/{{link}}/reviews/{review.id}/file")
    assert f"submission-{review.submission.pseudonym}.pdf" in file.headers["Content-Disposition"]
    assert f"Author {author.subject}".encode() not in file.content


def test_self_assessment_opens_after_the_required_peer_reviews(instructor, class_in_review, session):
    form = {"csrf_token": instructor.csrf_token()}
    settings = instructor.get("/links/{link}/settings").text
    assert "self_assessment" in settings
    from assessment.models import Assignment

    see_committed(session).scalars(select(Assignment)).one().self_assessment = True
    session.commit()
    student = class_in_review["student-1"]

    early = student.post("/links/{link}/self-assessment", form | {"csrf_token": student.csrf_token()}, csrf=False)
    assert "Finish your 3 peer reviews first" in page_text(early)
    keys = _criteria_keys(session)
    for _ in range(3):
        for other in class_in_review.values():
            _complete(other, _review_id(_ask(other)), keys)
    opened = student.post("/links/{link}/self-assessment", {})

    review = see_committed(session).get(Review, _review_id(opened))
    assert review.kind is ReviewKind.SELF and review.submission.author_id == review.reviewer_id
    assert "Assess your own work" in page_text(opened)


def _review_everything_through_the_pages_and_release(instructor, class_in_review, session) -> None:
    """Each of the class completes its three reviews through the review pages; then staff release the results."""
    keys = _criteria_keys(session)
    for _ in range(3):
        for student in class_in_review.values():
            _complete(student, _review_id(_ask(student)), keys)
    instructor.post("/links/{link}/phase", {"phase": "released"})


def test_after_release_authors_read_anonymous_feedback_rate_it_and_flag_it(instructor, class_in_review, session):
    _review_everything_through_the_pages_and_release(instructor, class_in_review, session)
    author = class_in_review["student-1"]

    feedback = author.get("/links/{link}/feedback")
    text = page_text(feedback)
    assert "Reviewer 1" in text and "Reviewer 3" in text
    for other in ("student-2", "student-3", "student-4"):
        assert other not in text
    review_id = int(re.search(r'id="review-(\d+)"', feedback.text)[1])
    author.post(f"/links/{{link}}/feedback/{review_id}/rating", {"helpfulness": "4", "comment": "Useful, thanks"})
    bad_flag = author.post(f"/links/{{link}}/feedback/{review_id}/flag", {"reason": "unfair", "explanation": "no"})
    author.post(f"/links/{{link}}/feedback/{review_id}/flag",
                {"reason": "unfair", "explanation": "It scores my argument as missing but it is there."})

    assert bad_flag.status_code == 400
    review = see_committed(session).get(Review, review_id)
    assert review.helpfulness == 4
    flag = session.scalars(select(ReviewFlag)).one()
    queue = instructor.get("/links/{link}/flags")
    assert "it is there" in page_text(queue)
    instructor.post(f"/links/{{link}}/flags/{flag.id}/resolve", {"resolution": "Agreed; removed.", "remove": "y"})
    assert see_committed(session).get(Review, review_id).status is ReviewStatus.REMOVED
    assert session.get(ReviewFlag, flag.id).resolved_at is not None


def test_feedback_waits_for_the_results_release(class_in_review):
    response = class_in_review["student-1"].get("/links/{link}/feedback")

    assert response.status_code == 409 and "once results are released" in page_text(response)


def test_staff_see_the_allocation_add_and_remove_reviewers_and_assess_as_staff(instructor, class_in_review, session):
    _ask(class_in_review["student-1"])
    submission = see_committed(session).scalars(select(Submission).order_by(Submission.id)).first()
    reviewer = session.scalars(select(Submission.author_id).where(Submission.id != submission.id)).first()

    table = instructor.get("/links/{link}/allocation")
    added = instructor.post("/links/{link}/allocation/assign", {"submission": str(submission.id),
                                                                 "reviewer": str(reviewer)})
    review = see_committed(session).scalars(select(Review).where(Review.submission_id == submission.id,
                                                                 Review.reviewer_id == reviewer)).one()
    instructor.post(f"/links/{{link}}/allocation/reviews/{review.id}/remove", {})
    staff_review = instructor.post(f"/links/{{link}}/submissions/{submission.id}/staff-review", {})

    assert "Who reviews whom" in table.text and "Reviewer added" in added.text
    assert see_committed(session).get(Review, review.id).status is ReviewStatus.REMOVED
    assert "Staff assessment of" in page_text(staff_review)
    assert submission.author.display_name in page_text(staff_review)  # staff see real names


def test_static_allocation_gives_every_submission_its_reviewers_at_once(instructor, class_in_review, session):
    from assessment.models import Assignment

    see_committed(session).scalars(select(Assignment)).one().allocation_mode = "static"
    session.commit()

    response = instructor.post("/links/{link}/allocation/static", {})

    assert "12 reviews allocated" in response.text
    assert sorted(see_committed(session).scalars(select(Submission.review_load)).all()) == [3, 3, 3, 3]
    queue = _ask(class_in_review["student-2"])
    assert "/reviews/" in queue.url  # the student is served the first of their allocated reviews


def test_the_scheduled_sweep_returns_run_out_leases_to_the_pool(lms, class_in_review, session):
    review_id = _review_id(_ask(class_in_review["student-1"]))
    session.execute(update(Review).where(Review.id == review_id)
                    .values(lease_expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.commit()
    load_before = see_committed(session).get(Review, review_id).submission.review_load

    reclaimed = lms.tool.app.extensions["peerlti.celery"].tasks["peerlti.reclaim_expired_leases"].delay().get()

    review = see_committed(session).get(Review, review_id)
    assert reclaimed == 1 and review.status is ReviewStatus.EXPIRED
    assert review.submission.review_load == load_before - 1


# --- every write checks the phase, and reviews keep the version they assessed ------------------------------------


def _submitted_review(class_in_review, session) -> Review:
    """student-1 asks for a review and submits it; the review, as committed."""
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    _complete(student, review_id, _criteria_keys(session))
    return see_committed(session).get(Review, review_id)


def test_a_submitted_review_cannot_be_changed_once_staff_moved_the_phase_to_released(instructor, class_in_review,
                                                                                      session):
    review = _submitted_review(class_in_review, session)
    argument, style = _criteria_keys(session)
    instructor.post("/links/{link}/phase", {"phase": "released"})  # the dates still say submissions are open

    response = class_in_review["student-1"].post(f"/links/{{link}}/reviews/{review.id}", {
        f"score-{argument}": "0", f"score-{style}": "0", f"comment-{style}": "Replaced by something harmless.",
        "action": "submit"})

    assert response.status_code == 409 and "reviewing is closed" in page_text(response).lower()
    after = see_committed(session).get(Review, review.id)
    assert after.selections == review.selections and after.comments == review.comments


def test_a_draft_cannot_be_saved_before_reviewing_when_staff_moved_the_phase_back(instructor, class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    argument, _ = _criteria_keys(session)
    instructor.post("/links/{link}/phase", {"phase": "submission"})

    response = student.post(f"/links/{{link}}/reviews/{review_id}", {f"score-{argument}": "2", "action": "draft"})

    assert response.status_code == 409
    assert see_committed(session).get(Review, review_id).selections == {}


def test_a_self_assessment_cannot_be_saved_once_staff_moved_the_phase_on(instructor, class_in_review, session):
    from assessment.models import Assignment

    assignment = see_committed(session).scalars(select(Assignment)).one()
    assignment.self_assessment = True
    own = session.scalars(select(Submission).join(Submission.author).where(Submission.author.has(subject="student-1"))
                          ).one()
    session.add(Review(assignment_id=assignment.id, submission_id=own.id, reviewer_id=own.author_id,
                       kind=ReviewKind.SELF, status=ReviewStatus.ASSIGNED, assigned_at=datetime.now(UTC)))
    session.commit()
    review_id = session.scalars(select(Review.id).where(Review.kind == ReviewKind.SELF)).one()
    argument, _ = _criteria_keys(session)
    instructor.post("/links/{link}/phase", {"phase": "grading"})

    response = class_in_review["student-1"].post(f"/links/{{link}}/reviews/{review_id}",
                                                 {f"score-{argument}": "2", "action": "draft"})

    assert response.status_code == 409
    assert see_committed(session).get(Review, review_id).selections == {}


def test_a_flagged_review_is_frozen_even_when_staff_reopen_reviewing(instructor, class_in_review, session):
    review = _submitted_review(class_in_review, session)
    argument, style = _criteria_keys(session)
    session.add(ReviewFlag(review_id=review.id, reason="inappropriate", explanation="Rude words in the comment.",
                           created_at=datetime.now(UTC)))
    session.commit()

    response = class_in_review["student-1"].post(f"/links/{{link}}/reviews/{review.id}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": "Now a polite comment instead.",
        "action": "submit"})

    assert response.status_code == 409 and "flagged" in page_text(response)
    assert see_committed(session).get(Review, review.id).comments == review.comments
    flag = session.scalars(select(ReviewFlag)).one()
    instructor.post(f"/links/{{link}}/flags/{flag.id}/resolve", {"resolution": "Kept: it is fair."})
    kept = class_in_review["student-1"].post(f"/links/{{link}}/reviews/{review.id}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": "Now a polite comment instead.",
        "action": "submit"})
    assert kept.status_code == 409
    assert see_committed(session).get(Review, review.id).comments == review.comments


def test_helpfulness_and_flags_wait_for_the_release_even_when_the_dates_say_released(class_in_review, session):
    from assessment.models import Assignment
    from assessment.phases import Phase

    review = _submitted_review(class_in_review, session)
    assignment = see_committed(session).scalars(select(Assignment)).one()
    past = datetime.now(UTC) - timedelta(days=1)
    assignment.submission_opens, assignment.submission_due = past - timedelta(days=9), past - timedelta(days=8)
    assignment.review_opens, assignment.review_due, assignment.results_release = (
        past - timedelta(days=7), past - timedelta(days=2), past)
    assignment.phase_override = Phase.GRADING  # staff held the results back by hand
    session.commit()
    author = next(visitor for visitor in class_in_review.values() if visitor.user_id == review.submission.author.subject)

    rated = author.post(f"/links/{{link}}/feedback/{review.id}/rating", {"helpfulness": "1"})
    flagged = author.post(f"/links/{{link}}/feedback/{review.id}/flag",
                          {"reason": "unfair", "explanation": "This review is unfair to my work."})

    assert rated.status_code == 409 and flagged.status_code == 409
    assert see_committed(session).get(Review, review.id).helpfulness is None
    assert session.scalars(select(ReviewFlag)).all() == []


def test_a_review_records_and_shows_the_version_handed_out_never_a_later_one(class_in_review, session):
    from assessment.models import SubmissionVersion

    student = class_in_review["student-1"]
    review = see_committed(session).get(Review, _review_id(_ask(student)))
    first = review.submission.latest
    session.add(SubmissionVersion(submission_id=review.submission_id, number=2, text_html="<p>A LATER VERSION</p>",
                                  file_key=first.file_key + ".v2", file_name=first.file_name, file_kind="pdf",
                                  file_size=3, submitted_at=datetime.now(UTC)))
    session.commit()

    page = student.get(f"/links/{{link}}/reviews/{review.id}")
    file = student.get(f"/links/{{link}}/reviews/{review.id}/file")

    assert see_committed(session).get(Review, review.id).submission_version_id == first.id
    assert "An essay about peer review." in page_text(page) and "A LATER VERSION" not in page_text(page)
    assert file.status_code == 200 and file.content.startswith(b"%PDF")


def test_a_removed_reviewer_can_no_longer_read_the_submission(instructor, class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    assert student.get(f"/links/{{link}}/reviews/{review_id}/file").status_code == 200

    instructor.post(f"/links/{{link}}/allocation/reviews/{review_id}/remove", {})

    page = student.get(f"/links/{{link}}/reviews/{review_id}")
    file = student.get(f"/links/{{link}}/reviews/{review_id}/file")
    assert page.status_code == 403 and "An essay about peer review." not in page_text(page)
    assert "no longer" in page_text(page)
    assert file.status_code == 403 and not file.content.startswith(b"%PDF")


def test_a_reviewer_whose_lease_ran_out_can_no_longer_read_the_submission(class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    session.execute(update(Review).where(Review.id == review_id)
                    .values(lease_expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.commit()

    page = student.get(f"/links/{{link}}/reviews/{review_id}")
    file = student.get(f"/links/{{link}}/reviews/{review_id}/file")

    assert page.status_code == 403 and "An essay about peer review." not in page_text(page)
    assert file.status_code == 403 and not file.content.startswith(b"%PDF")


def test_a_reviewer_still_reads_the_work_they_reviewed_after_submitting(class_in_review, session):
    review = _submitted_review(class_in_review, session)

    page = class_in_review["student-1"].get(f"/links/{{link}}/reviews/{review.id}")

    assert page.status_code == 200 and "An essay about peer review." in page_text(page)


def test_plain_text_is_stored_as_typed_and_shown_escaped_in_reviews_feedback_and_flags(instructor, class_in_review,
                                                                                       session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    argument, style = _criteria_keys(session)
    typed = "If a < b & c holds, x<y follows."
    form = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": typed, "action": "draft"})
    assert typed in page_text(form) and "x&lt;y" in form.text and "x<y" not in form.text
    _complete(student, review_id, (argument, style))
    student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": typed, "action": "submit"})
    instructor.post("/links/{link}/phase", {"phase": "released"})
    review = see_committed(session).get(Review, review_id)
    author = next(visitor for visitor in class_in_review.values() if visitor.user_id == review.submission.author.subject)

    feedback = author.get("/links/{link}/feedback")
    author.post(f"/links/{{link}}/feedback/{review_id}/rating", {"helpfulness": "4", "comment": "Clear: a < b & c"})
    author.post(f"/links/{{link}}/feedback/{review_id}/flag", {"reason": "unfair", "explanation": "It says x<y & more"})
    queue = instructor.get("/links/{link}/flags")
    flag = see_committed(session).scalars(select(ReviewFlag)).one()
    instructor.post(f"/links/{{link}}/flags/{flag.id}/resolve", {"resolution": "Kept: x<y & a < b"})

    review = see_committed(session).get(Review, review_id)
    assert review.comments[style] == typed and review.helpfulness_comment == "Clear: a < b & c"
    assert typed in page_text(feedback) and "x<y" not in feedback.text
    assert "It says x<y & more" in page_text(queue) and typed in page_text(queue) and "x<y" not in queue.text
    assert session.get(ReviewFlag, flag.id).explanation == "It says x<y & more"
    assert session.get(ReviewFlag, flag.id).resolution == "Kept: x<y & a < b"
    assert 'value="Clear: a &lt; b &amp; c"' in author.get("/links/{link}/feedback").text


def test_every_way_of_handing_out_a_review_records_the_latest_version(instructor, class_in_review, session):
    from assessment.models import Assignment, SubmissionVersion

    see_committed(session).scalars(select(Assignment)).one().allocation_mode = "static"
    session.commit()
    instructor.post("/links/{link}/allocation/static", {})
    peer = see_committed(session).scalars(select(Review)).all()
    assert len(peer) == 12 and all(r.submission_version_id == r.submission.latest.id for r in peer)

    moved = peer[0]
    instructor.post(f"/links/{{link}}/allocation/reviews/{moved.id}/remove", {})
    session.add(SubmissionVersion(submission_id=moved.submission_id, number=2, text_html="<p>Second</p>",
                                  submitted_at=datetime.now(UTC)))
    session.commit()
    second = see_committed(session).scalars(select(SubmissionVersion).where(SubmissionVersion.number == 2)).one()
    instructor.post("/links/{link}/allocation/assign", {"submission": str(moved.submission_id),
                                                         "reviewer": str(moved.reviewer_id)})
    instructor.post(f"/links/{{link}}/submissions/{moved.submission_id}/staff-review", {})

    assert see_committed(session).get(Review, moved.id).submission_version_id == second.id
    staff = session.scalars(select(Review).where(Review.kind == ReviewKind.STAFF)).one()
    assert staff.submission_version_id == second.id


def test_the_review_page_says_why_a_submitted_review_can_no_longer_change(instructor, class_in_review, session):
    review = _submitted_review(class_in_review, session)
    instructor.post("/links/{link}/phase", {"phase": "grading"})

    page = class_in_review["student-1"].get(f"/links/{{link}}/reviews/{review.id}")

    assert page.status_code == 200 and "Reviewing is closed" in page_text(page)
    assert "Submit review" not in page_text(page)


def test_a_save_from_a_tab_opened_before_another_tab_saved_is_refused_and_shows_the_saved_review(class_in_review,
                                                                                                  session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    keys = _criteria_keys(session)
    loaded_at = see_committed(session).get(Review, review_id).version  # both tabs open the form at this version

    first = student.post(f"/links/{{link}}/reviews/{review_id}", {
        "version": str(loaded_at), f"score-{keys[0]}": "2", f"comment-{keys[1]}": "From the first tab.",
        "action": "draft"})
    second = student.post(f"/links/{{link}}/reviews/{review_id}", {
        "version": str(loaded_at), f"score-{keys[0]}": "4", f"comment-{keys[1]}": "From the second tab.",
        "action": "draft"})

    assert "Draft saved" in first.text
    assert second.status_code == 409 and "changed in another tab" in page_text(second)
    assert "From the first tab." in second.text and "From the second tab." not in second.text
    review = see_committed(session).get(Review, review_id)
    assert review.selections == {keys[0]: 2} and review.comments == {keys[1]: "From the first tab."}
    assert f'name="version" value="{review.version}"' in second.text  # saving again from this page now works


def test_a_nul_byte_in_a_review_comment_is_refused_with_a_400_and_nothing_stored(class_in_review, session):
    student = class_in_review["student-1"]
    review_id = _review_id(_ask(student))
    argument, style = _criteria_keys(session)
    before = see_committed(session).get(Review, review_id).comments

    response = student.post(f"/links/{{link}}/reviews/{review_id}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": "Sho\x00rter sentences would help.",
        "action": "submit"})

    assert response.status_code == 400 and "control characters" in page_text(response)
    review = see_committed(session).get(Review, review_id)
    assert review.comments == before and review.submitted_at is None


def test_feedback_shows_each_criterion_score_out_of_its_maximum(instructor, class_in_review, session):
    _review_everything_through_the_pages_and_release(instructor, class_in_review, session)

    text = page_text(class_in_review["student-1"].get("/links/{link}/feedback"))

    # Argument is scored 0 to 4 and was given 4; Style 0 to 10, given 7.
    assert "Argument 4 / 4" in text and "Style 7 / 10" in text


def _section(page, review_id: int) -> str:
    found = re.search(rf'<section class="card" id="review-{review_id}".*?</section>', page.text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[0])) if found else ""


def test_the_author_follows_a_flag_to_the_staffs_answer_and_a_removed_review_keeps_its_number(
        instructor, class_in_review, session):
    _review_everything_through_the_pages_and_release(instructor, class_in_review, session)
    author = class_in_review["student-1"]
    before = author.get("/links/{link}/feedback")
    first, second, third = (int(found) for found in re.findall(r'id="review-(\d+)"', before.text))
    assert "Reviewer 2" in _section(before, second) and "Reviewer 3" in _section(before, third)

    author.post(f"/links/{{link}}/feedback/{second}/flag",
                {"reason": "unfair", "explanation": "It scores my argument as missing but it is there."})
    waiting = author.get("/links/{link}/feedback")
    assert "waiting for course staff" in _section(waiting, second)
    assert f"/feedback/{second}/flag" not in waiting.text and f"/feedback/{first}/flag" in waiting.text

    flag = see_committed(session).scalars(select(ReviewFlag)).one()
    unanswered = instructor.post(f"/links/{{link}}/flags/{flag.id}/resolve", {"resolution": "  ", "remove": "y"})
    assert unanswered.status_code == 400 and see_committed(session).get(ReviewFlag, flag.id).resolved_at is None
    instructor.post(f"/links/{{link}}/flags/{flag.id}/resolve",
                    {"resolution": "Agreed: the argument is there. Removed.", "remove": "y"})

    after = author.get("/links/{link}/feedback")
    removed = _section(after, second)
    assert "Reviewer 2" in removed and "Removed by course staff" in removed
    assert "Agreed: the argument is there. Removed." in removed
    assert "Reviewer 1" in _section(after, first) and "Reviewer 3" in _section(after, third)
    home = page_text(author.get("/links/{link}"))
    assert "Reviewer 2" in home and "removed by course staff" in home and "course staff answered your flag" in home


def test_the_queue_counts_work_handed_out_and_requests_with_nothing_to_hand_out(class_in_review, session):
    def counted(outcome: str) -> float:
        return REGISTRY.get_sample_value("peerlti_review_queue_requests_total", {"outcome": outcome}) or 0.0

    before = {outcome: counted(outcome) for outcome in ("handed_out", "nothing_to_review")}
    _review_id(_ask(class_in_review["student-1"]))
    review_everything(class_in_review, session)
    nothing = _ask(class_in_review["student-1"])  # every review the student owes is done

    assert "/reviews/" not in nothing.url
    assert counted("handed_out") == before["handed_out"] + 1
    assert counted("nothing_to_review") == before["nothing_to_review"] + 1
