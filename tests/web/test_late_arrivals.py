"""A student who enrols after reviewing opened: hands in as the late policy allows, is served work to review, has their
own work reviewed, and is marked a late arrival on the dashboard; one added by roster sync is marked too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from assessment.late_arrivals import late_arrivals
from assessment.models import Assignment, Course, Enrollment, Person, Review, ReviewStatus, Submission
from lti_tool.roster import apply_roster
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


def _ask(visitor: Visitor):
    return visitor.post("/links/{link}/reviews/next", {})


def _complete(visitor: Visitor, response, session):
    match = re.search(r"/reviews/(\d+)$", response.url)
    assert match, f"not on a review page: {response.url}"
    rubric = see_committed(session).scalars(select(Assignment)).one().rubric
    argument, style = (criterion.key for criterion in rubric.criteria)
    done = visitor.post(f"/links/{{link}}/reviews/{match[1]}", {
        f"score-{argument}": "4", f"score-{style}": "7", f"comment-{style}": "Shorter sentences would help.",
        "action": "submit"})
    assert done.status_code == 200
    return int(match[1])


def _reviewing_opened_an_hour_ago(session, *, accept_late: bool) -> None:
    now = datetime.now(UTC)
    session.execute(update(Assignment).values(
        phase_override=None, submission_opens=now - timedelta(days=3), submission_due=now - timedelta(hours=2),
        review_opens=now - timedelta(hours=1), review_due=now + timedelta(days=2), results_release=now + timedelta(days=3),
        accept_late=accept_late, late_until=now + timedelta(days=1) if accept_late else None, late_penalty_per_day=10.0))
    session.execute(update(Enrollment).values(enrolled_at=now - timedelta(days=3)))  # the class enrolled in time
    session.commit()


def test_a_late_arrival_hands_in_late_reviews_is_reviewed_and_is_marked_for_staff(lms, instructor, class_in_review,
                                                                                 session):
    _reviewing_opened_an_hour_ago(session, accept_late=True)
    for student in class_in_review.values():  # the class is under way: each has done one review
        _complete(student, _ask(student), session)

    late = Visitor(lms, "student-5")
    late.launch()
    handed_in = late.post("/links/{link}/submission", {"text": "My essay, written in a hurry."})
    assert handed_in.status_code == 200
    person = see_committed(session).scalar(select(Person.id).where(Person.subject == "student-5"))
    work = see_committed(session).scalars(select(Submission).where(Submission.author_id == person)).one()
    assert work.latest is not None and work.latest.is_late

    _complete(late, _ask(late), session)  # served others' work
    reviewed = _complete(class_in_review["student-1"], _ask(class_in_review["student-1"]), session)
    review = see_committed(session).get(Review, reviewed)
    assert (review.submission_id, review.status) == (work.id, ReviewStatus.SUBMITTED)

    dashboard = instructor.get("/links/{link}")
    row = re.search(rf'<tr id="student-{person}">(.*?)</tr>', dashboard.text, re.S)
    assert row is not None and "late arrival" in row.group(1)
    others = re.search(rf'<tr id="student-{review.reviewer_id}">(.*?)</tr>', dashboard.text, re.S)
    assert others is not None and "late arrival" not in others.group(1)


def test_without_a_late_policy_a_late_arrival_hands_in_on_time_once_staff_give_an_extension(lms, instructor,
                                                                                             class_in_review, session):
    _reviewing_opened_an_hour_ago(session, accept_late=False)
    late = Visitor(lms, "student-5")
    home = late.launch()
    assert 'name="text"' not in home.text and "Missed" in page_text(home)  # no hand-in form
    person = see_committed(session).scalar(select(Person.id).where(Person.subject == "student-5"))

    given = instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "submission",
                                                         "extra_hours": "48", "reason": "Joined the course late"})
    assert "Extension given." in page_text(given)
    home = late.get("/links/{link}")
    assert 'name="text"' in home.text and "You have an extension" in page_text(home)
    handed_in = late.post("/links/{link}/submission", {"text": "My essay."})

    assert handed_in.status_code == 200
    work = see_committed(session).scalars(select(Submission).where(Submission.author_id == person)).one()
    assert work.latest is not None and not work.latest.is_late


def test_a_student_added_by_roster_sync_after_reviewing_opened_is_a_late_arrival(instructor, class_in_review, session):
    _reviewing_opened_an_hour_ago(session, accept_late=True)
    course = session.scalars(select(Course)).one()
    apply_roster(session, course, [{"user_id": "newcomer", "roles": [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], "name": "New Comer"}])
    session.commit()
    assignment = session.scalars(select(Assignment)).one()
    newcomer = session.scalar(select(Person.id).where(Person.subject == "newcomer"))
    assert late_arrivals(session, assignment) == {newcomer}


def test_with_reviews_allocated_up_front_a_late_arrivals_work_gets_its_reviewers_at_hand_in_and_they_review(
        lms, instructor, class_in_review, session):
    _reviewing_opened_an_hour_ago(session, accept_late=True)
    session.execute(update(Assignment).values(allocation_mode="static"))
    session.commit()
    allocated = instructor.post("/links/{link}/allocation/static", {})
    assert "12 reviews allocated." in page_text(allocated)

    late = Visitor(lms, "student-5")
    late.launch()
    assert late.post("/links/{link}/submission", {"text": "My essay, written in a hurry."}).status_code == 200
    person = see_committed(session).scalar(select(Person.id).where(Person.subject == "student-5"))
    work = see_committed(session).scalars(select(Submission.id).where(Submission.author_id == person)).one()

    # k = 3: three classmates were given the late work when it was handed in.
    reviewers = see_committed(session).scalars(select(Review.reviewer_id).where(Review.submission_id == work)).all()
    assert len(set(reviewers)) == 3 == len(reviewers) and person not in reviewers
    # The late arrival is given their three reviews when they ask, of others' work.
    reviewed = [see_committed(session).get(Review, _complete(late, _ask(late), session)) for _ in range(3)]
    assert {review.reviewer_id for review in reviewed} == {person}
    assert len({review.submission_id for review in reviewed}) == 3 and work not in {r.submission_id for r in reviewed}
