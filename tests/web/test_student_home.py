"""A student's home guides them: the next step and its deadline, the checklist of steps, the grade explained."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from assessment.models import Assignment, Grade, Person, Review, ReviewStatus, Submission, SubmissionVersion
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.conftest import LEVELS, review_everything


def _assignment(session) -> Assignment:
    return see_committed(session).scalars(select(Assignment)).one()


def _set(session, **columns) -> None:
    """Change the assignment's row directly: dates relative to now that the settings form would not take."""
    session.execute(update(Assignment).values(**columns))
    session.commit()


def _dates_around(now: datetime, *, due_in: timedelta, phase=None) -> dict:
    return {"submission_opens": now - timedelta(days=10), "submission_due": now + due_in,
            "review_opens": now + due_in + timedelta(days=1), "review_due": now + due_in + timedelta(days=8),
            "results_release": now + due_in + timedelta(days=9), "phase_override": phase}


def _checklist(response) -> list[str]:
    """Each step of the checklist as read aloud: its title and its state."""
    items = re.findall(r'<li class="step step-[a-z_]+".*?<p class="step-head">(.*?)</p>', response.text, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>|[\u2713\u2192\u25cb\u2717\u2013]", " ", item)).strip() for item in items]


def test_before_handing_in_the_next_step_is_to_hand_in_with_the_deadline_and_time_left(student, session):
    now = datetime.now(UTC)
    _set(session, **_dates_around(now, due_in=timedelta(days=2, hours=3, minutes=20)))

    home = student.get("/links/{link}")

    text = page_text(home)
    assert "Next: hand in your work" in text and "Due in 2 days 3 hours (" in text
    due = _assignment(session).submission_due
    # The deadline is marked up for the reader's time zone and written meanwhile in the assignment's (Paris).
    assert re.search(rf'<time datetime="{re.escape(due.isoformat())}" data-local-time>[^<]*\bCET</time>', home.text)
    assert '<script src="/static/local_time.js"></script>' in home.text
    assert _checklist(home) == ["Hand in your work Open now", "Review the work of 3 classmates Later",
                                "Read your feedback and grade Later"]
    assert "0 of 3 steps done" in text and '<progress value="0" max="3"' in home.text
    assert 'href="#hand-in"' in home.text and 'id="hand-in"' in home.text


def test_after_handing_in_the_student_is_told_when_reviewing_opens(student, session):
    now = datetime.now(UTC)
    _set(session, **_dates_around(now, due_in=timedelta(days=1)))

    home = student.post("/links/{link}/submission", {"text": "My essay"})

    text = page_text(home)
    assert "Coming next" in text and "Review the work of 3 classmates" in text
    assert re.search(r"Opens in 2 days \( ?\w{3}[^)]*CET ?\)\.", text)
    assert _checklist(home)[0] == "Hand in your work Done" and "1 of 3 steps done" in text
    assert "Hand in a new version" in text  # work may still be replaced before the deadline


def test_a_missed_deadline_is_shown_and_closes_reviewing_for_students_without_work(student, session):
    now = datetime.now(UTC)
    _set(session, **_dates_around(now, due_in=-timedelta(hours=2), phase="review"))

    home = student.get("/links/{link}")

    text = page_text(home)
    assert _checklist(home)[:2] == ["Hand in your work Missed", "Review the work of 3 classmates Missed"]
    assert "Submissions closed" in text and "Only students who handed in work review" in text
    assert 'id="hand-in"' not in home.text  # no form that could only be refused
    assert "Coming next" in text and "Read your feedback and grade" in text


def test_a_student_without_work_may_still_review_when_the_assignment_allows_it(lms, instructor, student, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    other = Visitor(lms, "student-2")
    other.launch()
    other.post("/links/{link}/submission", {"text": "An essay to review"})
    now = datetime.now(UTC)
    _set(session, **_dates_around(now, due_in=-timedelta(hours=2), phase="review"), reviewers_need_submission=False)

    home = student.get("/links/{link}")

    assert _checklist(home)[:2] == ["Hand in your work Missed", "Review the work of 3 classmates Open now"]
    assert "Next: review a classmate's work" in page_text(home) and ">Review a submission</button>" in home.text


def test_in_the_late_window_the_student_is_told_work_counts_as_late(student, session):
    now = datetime.now(UTC)
    _set(session, **_dates_around(now, due_in=-timedelta(hours=2)), accept_late=True,
         late_until=now + timedelta(hours=5, minutes=30), late_penalty_per_day=10)

    text = page_text(student.get("/links/{link}"))

    assert "late work is still accepted until" in text and "in 5 hours" in text and "10% off per started day" in text
    assert "work handed in now counts as late" in text


def test_calibration_comes_first_and_links_to_the_examples(lms, instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _assignment(session).rubric.criteria[0].key
    for title, points in (("Clear claim", "4"), ("Weak claim", "2")):
        instructor.post("/links/{link}/calibration/examples/new", {"title": title, "text": f"<p>{title}</p>",
                                                                   f"score-{key}": points})
    _set(session, calibration_examples_required=2)
    student = Visitor(lms, "student-1")
    student.launch()
    student.post("/links/{link}/submission", {"text": "My essay"})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    home = student.get("/links/{link}")

    text = page_text(home)
    assert "Next: practise assessing" in text
    assert f'href="/links/{student.link_id}/calibration">Practise assessing</a>' in home.text
    assert _checklist(home)[1:3] == ["Practise on 2 examples your instructor graded Open now",
                                     "Review the work of 3 classmates Later"]
    assert "0 of 2 examples done" in text and "Opens once you have practised on the examples" in text


def test_while_reviewing_the_home_counts_reviews_and_continues_a_started_one(class_in_review, session):
    student = class_in_review["student-1"]
    student.post("/links/{link}/reviews/next", {})

    started = page_text(student.get("/links/{link}"))

    assert "Next: finish the review you started" in started and "Continue your review" in started
    assert "0 of 3 reviews done" in started and "Submission " in started


def test_with_every_review_done_the_student_waits_for_the_results(class_in_review, session):
    review_everything(class_in_review, session)

    home = class_in_review["student-1"].get("/links/{link}")

    text = page_text(home)
    assert "3 of 3 reviews done" in text and "Coming next" in text and "Results are released" in text
    assert "Review a submission" not in text


def test_with_nothing_to_review_the_student_is_told_to_check_again_later(lms, instructor, student, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    student.post("/links/{link}/submission", {"text": "The only essay so far"})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    text = page_text(student.get("/links/{link}"))

    assert "There is no work for you to review right now" in text and "Check for work to review" in text


def test_once_released_the_grade_is_explained_and_the_feedback_summarised_anonymously(instructor, class_in_review,
                                                                                      session):
    review_everything(class_in_review, session)
    people = {person.subject: person for person in see_committed(session).scalars(select(Person))}
    author = people["student-1"]
    version = session.scalars(select(SubmissionVersion).join(SubmissionVersion.submission)
                              .where(Submission.author_id == author.id)).one()
    version.is_late, version.late_penalty = True, 0.2
    session.commit()
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    instructor.post(f"/links/{{link}}/grades/{author.id}/override", {"total": "49", "reason": "Excellent revision"})
    instructor.post("/links/{link}/grades/release", {})
    instructor.post("/links/{link}/phase", {"phase": "released"})

    home = class_in_review["student-1"].get("/links/{link}")

    text = page_text(home)
    grade = see_committed(session).scalars(select(Grade).where(Grade.person_id == author.id)).one()
    assert "Your results are out" in text and "Read the feedback on your work" in text
    assert "49 out of 50 points" in text
    assert "Your work" in text and "Reviewing" in text
    assert re.search(r"agreed with the other reviewers'\. 3 of 3 reviews done\.", text)
    assert "Late penalty" in text and "20% off the points for your work" in text
    assert grade.late_deduction > 0 and f"\N{MINUS SIGN}{round(grade.late_deduction, 2):g}" in text
    assert "Changed by course staff" in text and "Excellent revision" in text
    assert re.search(r'href="/links/\d+/feedback#review-\d+">Reviewer 1</a>', home.text)
    for subject in ("student-2", "student-3", "student-4"):
        for secret in (people[subject].name, people[subject].email, subject):
            assert not secret or secret not in text


def test_a_held_grade_is_not_shown_until_staff_settle_it(instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    reader = class_in_review["student-1"]
    person = see_committed(session).scalars(select(Grade)).all()
    mine = next(grade for grade in person if grade.person.subject == "student-1")
    mine.attention = ["wide uncertainty"]
    session.commit()
    instructor.post("/links/{link}/grades/release", {})
    instructor.post("/links/{link}/phase", {"phase": "released"})

    text = page_text(reader.get("/links/{link}"))

    assert "being checked by course staff" in text and "out of 50 points" not in text


def test_the_assignment_title_is_escaped(student, session):
    _set(session, title='<script>alert("x")</script> & <b>bold</b>')

    home = student.get("/links/{link}")

    assert "<script>alert" not in home.text and "<b>bold</b>" not in home.text
    assert "&lt;script&gt;alert(" in home.text


def test_the_home_offers_no_hand_in_once_staff_moved_the_phase_past_submission(instructor, student, session):
    student.post("/links/{link}/submission", {"text": "My essay"})
    assert "Hand in a new version" in page_text(student.get("/links/{link}"))
    other = Visitor(student.lms, "student-2")
    other.launch()
    instructor.post("/links/{link}/phase", {"phase": "review"})  # the dates still say submissions are open

    assert "Hand in a new version" not in page_text(student.get("/links/{link}"))
    late_comer = other.get("/links/{link}")
    assert "/submission" not in late_comer.text and "Missed" in page_text(late_comer)


def test_a_finished_review_that_staff_removed_still_counts_as_done_for_its_reviewer(instructor, class_in_review,
                                                                                      session):
    review_everything(class_in_review, session)
    reviewer = see_committed(session).scalars(select(Person).where(Person.subject == "student-1")).one()
    removed = session.scalars(select(Review).where(Review.reviewer_id == reviewer.id)).first()
    instructor.post(f"/links/{{link}}/allocation/reviews/{removed.id}/remove", {})
    instructor.post("/links/{link}/phase", {"phase": "grading"})

    home = class_in_review["student-1"].get("/links/{link}")

    assert see_committed(session).get(Review, removed.id).status is ReviewStatus.REMOVED
    assert _checklist(home)[1] == "Review the work of 3 classmates Done"
    assert "Missed" not in page_text(home)


def test_the_peer_score_is_explained_review_by_review_without_naming_reviewers(instructor, class_in_review, session):
    review_everything(class_in_review, session)
    people = {person.subject: person for person in see_committed(session).scalars(select(Person))}
    lenient = people["student-1"]
    session.execute(update(Review).where(Review.reviewer_id == lenient.id).values(score=Review.score + 10))
    session.commit()
    instructor.post("/links/{link}/grades/run", {"method": "reliability"})
    instructor.post("/links/{link}/grades/release", {})
    instructor.post("/links/{link}/phase", {"phase": "released"})
    author = next(subject for subject in ("student-2", "student-3", "student-4") if see_committed(session).scalar(
        select(Review.id).join(Submission, Review.submission_id == Submission.id)
        .where(Review.reviewer_id == lenient.id, Submission.author_id == people[subject].id)))
    grade = see_committed(session).scalars(select(Grade).where(Grade.person_id == people[author].id)).one()

    text = page_text(class_in_review[author].get("/links/{link}"))

    score = f"{round(grade.submission_score, 1):g}"
    assert f"How the peer score of {score} was worked out" in text
    assert re.search(r"This reviewer gives [\d.]+ points more than others on average", text)
    assert "The class average" in text and f"added up {score}" in text
    for subject in ("student-1", "student-2", "student-3", "student-4"):
        if subject != author:
            assert people[subject].name not in text
    staff_page = page_text(instructor.get("/links/{link}/grades"))
    assert lenient.name in staff_page and "the grading model's estimates" in staff_page
