"""Staff triage on the dashboard: the work to grade first and the reviewers to check, with their evidence; never shown
to students."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import delete, select

from assessment.models import Person, Review, StoredAdvice, Submission
from tests.support.access import visitor_of_kind
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.conftest import review_everything

POINTS = 50.0
# What each student's work deserves, as a share of the points, and what everyone but the gamers gives it.
DESERVED = {"student-1": 0.3, "student-2": 0.9, "student-3": 0.5, "student-4": 0.7}


def _triage(page) -> str:
    section = re.search(r'<section class="card" id="triage".*?</section>', page.text, re.S)[0]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)))


@pytest.fixture
def gamed_class(lms, instructor, class_in_review, session) -> dict[str, Visitor]:
    """Everyone reviewed the three others; student-1 gives everyone 30 points whatever the work, students 2 and 3
    give each other full marks; grades computed by the mean."""
    review_everything(class_in_review, session)
    session = see_committed(session)
    subject = dict(session.execute(select(Person.id, Person.subject)).all())
    for review, author in session.execute(select(Review, Submission.author_id)
                                          .join(Submission, Review.submission_id == Submission.id)).all():
        giver, receiver = subject[review.reviewer_id], subject[author]
        if giver == "student-1":
            review.score = 0.6 * POINTS
        elif {giver, receiver} == {"student-2", "student-3"}:
            review.score = POINTS
        else:
            review.score = DESERVED[receiver] * POINTS
    session.commit()
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    return class_in_review


def _names(session) -> dict[str, str]:
    return {person.subject: person.display_name for person in see_committed(session).scalars(select(Person))}


def test_staff_see_the_flat_reviewer_and_the_reciprocal_pair_with_the_numbers_behind_each(instructor, gamed_class,
                                                                                          session):
    names = _names(session)

    triage = _triage(instructor.get("/links/{link}"))

    assert "Reviewers to check" in triage
    # The consensus of student-1's three pieces of work: 47.5, 37.5 and 35 points (sd 6.61); their scores: all 30.
    assert re.search(re.escape(names["student-1"]) + r" scores barely vary their 3 scores vary by 0 points \(sd\) "
                     r"where the consensus of the same work varies by 6\.61", triage), triage
    assert "reciprocal high marks" in triage
    assert f"{names['student-2']} gave {names['student-3']} 50 (consensus 27.5)" in triage
    assert f"{names['student-3']} gave {names['student-2']} 50 (consensus 37.5)" in triage


def test_staff_are_told_which_work_to_grade_first_with_a_way_to_assess_it(instructor, gamed_class, session):
    page = instructor.get("/links/{link}")
    triage = _triage(page)

    assert "Grade this one first" in triage and "expected error ±" in triage
    first = re.search(r'<ul class="queue" id="grade-first">.*?</ul>', page.text, re.S)[0]
    assert len(re.findall(r"<li>", first)) == 1
    assert re.search(r'action="[^"]*/submissions/\d+/staff-review', first)
    assert re.search(r'href="[^"]*/students/\d+/work', first)


def test_work_whose_grade_staff_overrode_is_no_longer_offered_for_grading_first(instructor, gamed_class, session):
    page = instructor.get("/links/{link}")
    suggested = int(re.search(r'id="grade-first">.*?/students/(\d+)/work', page.text, re.S)[1])

    instructor.post(f"/links/{{link}}/grades/{suggested}/override", {"total": "40", "reason": "Read it myself."})
    again = instructor.get("/links/{link}").text

    offered = int(re.search(r'id="grade-first">.*?/students/(\d+)/work', again, re.S)[1])
    assert offered != suggested


def test_students_never_see_the_triage_or_the_warnings_about_classmates(instructor, gamed_class, session):
    names = _names(session)
    for student in gamed_class.values():
        page = student.get("/links/{link}")
        text = page_text(page)

        assert page.status_code == 200
        assert 'id="grade-first"' not in page.text and 'id="reviewer-warnings"' not in page.text
        assert "Reviewers to check" not in text and "reciprocal high marks" not in text
        assert "scores barely vary" not in text and "Assess as staff" not in text
        others = [name for subject, name in names.items() if subject.startswith("student")
                  and gamed_class.get(subject) is not student]
        assert not any(name in text for name in others)


def test_before_grading_runs_nothing_is_offered_and_no_reviewer_is_warned_about(instructor, class_in_review,
                                                                                session):
    review_everything(class_in_review, session)

    page = instructor.get("/links/{link}")

    assert 'id="grade-first"' not in page.text and 'id="reviewer-warnings"' not in page.text


def _advice(page) -> str:
    section = re.search(r'<section class="card" id="grading-advice".*?</section>', page.text, re.S)
    assert section, page.text[:500]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section[0])))


@pytest.mark.parametrize("page", ["/links/{link}/grades", "/links/{link}/grades/compare"])
@pytest.mark.parametrize("who", ["instructor", "teaching assistant"])
def test_the_grades_page_and_the_method_comparison_show_the_warnings_and_the_work_to_grade_first(
        lms, instructor, gamed_class, session, page, who):
    names = _names(session)
    staff = instructor if who == "instructor" else Visitor(lms, "ta-1")
    if who == "teaching assistant":
        staff.launch()

    advice = _advice(staff.get(page))

    assert re.search(re.escape(names["student-1"]) + r" scores barely vary their 3 scores vary by 0 points", advice)
    assert f"{names['student-2']} gave {names['student-3']} 50 (consensus 27.5)" in advice
    assert "Grade this one first" in advice and "expected error ±" in advice


@pytest.mark.parametrize("page", ["/links/{link}/grades", "/links/{link}/grades/compare"])
def test_no_advice_shows_on_the_grading_pages_before_grading_runs(instructor, class_in_review, session, page):
    review_everything(class_in_review, session)

    shown = instructor.get(page)

    assert shown.status_code == 200 and 'id="grading-advice"' not in shown.text


@pytest.mark.parametrize("kind", ["student", "student of another course", "instructor of another course"])
def test_the_grading_pages_with_their_warnings_are_refused_to_students_and_other_courses_staff(
        lms, instructor, gamed_class, kind):
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    for page in ("/links/{link}/grades", "/links/{link}/grades/compare"):
        refused = visitor.get(page)
        assert refused.status_code == 403
        assert "reciprocal high marks" not in refused.text and "scores barely vary" not in refused.text


def _honest_reviews(session) -> None:
    """Everyone now gives each piece of work what it deserves: no reviewer is flat, no pair inflates."""
    session = see_committed(session)
    subject = dict(session.execute(select(Person.id, Person.subject)).all())
    for review, author in session.execute(select(Review, Submission.author_id)
                                          .join(Submission, Review.submission_id == Submission.id)).all():
        review.score = DESERVED[subject[author]] * POINTS
    session.commit()


def test_a_new_grading_run_replaces_the_advice_the_last_one_left(instructor, gamed_class, session):
    assert "scores barely vary" in _triage(instructor.get("/links/{link}"))
    _honest_reviews(session)

    before_the_run = _triage(instructor.get("/links/{link}"))
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    after_the_run = _triage(instructor.get("/links/{link}"))

    # The advice is that of the grades: reviews changed since the last run change it only when grading runs again.
    assert "scores barely vary" in before_the_run and "reciprocal high marks" in before_the_run
    assert "Reviewers to check" not in after_the_run
    assert "scores barely vary" not in after_the_run and "reciprocal high marks" not in after_the_run


def test_clearing_an_override_offers_the_work_for_grading_first_again(instructor, gamed_class, session):
    page = instructor.get("/links/{link}")
    suggested = int(re.search(r'id="grade-first">.*?/students/(\d+)/work', page.text, re.S)[1])
    instructor.post(f"/links/{{link}}/grades/{suggested}/override", {"total": "40", "reason": "Read it myself."})
    overridden = instructor.get("/links/{link}").text

    instructor.post(f"/links/{{link}}/grades/{suggested}/override", {"total": "", "reason": ""})
    cleared = instructor.get("/links/{link}").text

    assert int(re.search(r'id="grade-first">.*?/students/(\d+)/work', overridden, re.S)[1]) != suggested
    assert int(re.search(r'id="grade-first">.*?/students/(\d+)/work', cleared, re.S)[1]) == suggested


@pytest.mark.parametrize("page", ["/links/{link}", "/links/{link}/grades", "/links/{link}/grades/compare"])
def test_the_advice_names_people_as_they_are_called_now_not_as_when_grading_ran(instructor, gamed_class, session,
                                                                               page):
    session = see_committed(session)
    flat = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    old_name = flat.display_name
    flat.name, flat.given_name, flat.family_name = "Renamed Reviewer", "Renamed", "Reviewer"
    session.commit()

    shown = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", instructor.get(page).text)))

    assert re.search(re.escape(flat.display_name) + r" scores barely vary", shown)
    assert old_name not in shown
    kept = json.dumps(session.scalars(select(StoredAdvice.document)).one())
    assert old_name not in kept and flat.display_name not in kept


def test_grades_computed_before_the_advice_was_kept_still_get_their_advice(instructor, gamed_class, session):
    kept_advice = _triage(instructor.get("/links/{link}"))
    session = see_committed(session)
    session.execute(delete(StoredAdvice))
    session.commit()

    worked_out = _triage(instructor.get("/links/{link}"))

    assert worked_out == kept_advice and "scores barely vary" in worked_out and "Grade this one first" in worked_out
