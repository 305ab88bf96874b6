"""Staff dismiss a reviewer warning and undo it: who may, when, with what input, and what the pages then show."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from assessment.grading_advice import advice_document
from assessment.models import Assignment, Grade, Person, StoredAdvice, WarningDismissal
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import Visitor
from tests.web.conftest import review_everything
from tests.web.test_staff_triage import gamed_class  # noqa: F401 (a fixture)

DISMISS, UNDO = "/links/{link}/grades/warnings/dismiss", "/links/{link}/grades/warnings/undo"


def _people(session) -> dict[str, Person]:
    return {person.subject: person for person in see_committed(session).scalars(select(Person))}


def _section(page, element_id: str) -> str:
    """The text of the element with that id (a list or a details block), tags dropped."""
    found = re.search(rf'<(ul|details)[^>]*id="{element_id}".*?</\1>', page.text, re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[0]))) if found else ""


def _dismissals(session) -> list[tuple[int, str, int | None]]:
    return list(see_committed(session).execute(
        select(WarningDismissal.reviewer_id, WarningDismissal.kind, WarningDismissal.dismissed_by_id)
        .order_by(WarningDismissal.reviewer_id, WarningDismissal.kind)).all())


@pytest.mark.parametrize("who", ["instructor", "teaching assistant"])
def test_staff_dismiss_a_warning_which_then_shows_collapsed_with_who_and_when_until_undone(
        lms, instructor, gamed_class, session, who):  # noqa: F811
    staff = instructor if who == "instructor" else Visitor(lms, "ta-1")
    if who == "teaching assistant":
        staff.launch()
    people = _people(session)
    flat = people["student-1"]
    before = staff.get("/links/{link}/grades")
    assert f"{flat.display_name} scores barely vary" in _section(before, "reviewer-warnings")
    assert re.search(r'action="[^"]*/grades/warnings/dismiss"', before.text)

    dismissed = staff.post(DISMISS, {"reviewer": str(flat.id), "kind": "flat", "back": "grades"})

    assert dismissed.status_code == 200 and dismissed.url.endswith("/grades")
    assert "scores barely vary" not in _section(dismissed, "reviewer-warnings")
    collapsed = _section(dismissed, "dismissed-warnings")
    assert f"{flat.display_name} scores barely vary" in collapsed
    assert f"Dismissed by {people[staff.user_id].display_name} on " in collapsed and "Undo" in collapsed
    assert _dismissals(session) == [(flat.id, "flat", people[staff.user_id].id)]

    undone = staff.post(UNDO, {"reviewer": str(flat.id), "kind": "flat", "back": "grades"})

    assert undone.status_code == 200
    assert f"{flat.display_name} scores barely vary" in _section(undone, "reviewer-warnings")
    assert _section(undone, "dismissed-warnings") == "" and _dismissals(session) == []


def test_a_dismissal_shows_on_the_dashboard_and_the_method_comparison_and_leads_back_to_the_page_it_came_from(
        instructor, gamed_class, session):  # noqa: F811
    flat = _people(session)["student-1"]

    from_dashboard = instructor.post(DISMISS, {"reviewer": str(flat.id), "kind": "flat", "back": "dashboard"})

    assert re.search(r"/links/\d+$", from_dashboard.url)
    assert "scores barely vary" in _section(from_dashboard, "dismissed-warnings")
    assert "scores barely vary" not in _section(from_dashboard, "reviewer-warnings")
    compare = instructor.get("/links/{link}/grades/compare")
    assert "scores barely vary" in _section(compare, "dismissed-warnings")
    assert "scores barely vary" not in _section(compare, "reviewer-warnings")


def test_a_reciprocal_pair_is_dismissed_and_undone_together(instructor, gamed_class, session):  # noqa: F811
    people = _people(session)
    pair = [people["student-2"].id, people["student-3"].id]
    page = instructor.get("/links/{link}/grades")
    assert "reciprocal high marks" in _section(page, "reviewer-warnings")

    dismissed = instructor.post(DISMISS, {"reviewer": [str(p) for p in pair], "kind": "reciprocal"})

    assert "reciprocal high marks" not in _section(dismissed, "reviewer-warnings")
    assert "reciprocal high marks" in _section(dismissed, "dismissed-warnings")
    assert [(reviewer, kind) for reviewer, kind, _ in _dismissals(session)] == [(p, "reciprocal") for p in sorted(pair)]
    undone = instructor.post(UNDO, {"reviewer": [str(p) for p in pair], "kind": "reciprocal"})
    assert "reciprocal high marks" in _section(undone, "reviewer-warnings") and _dismissals(session) == []


def test_dismissing_twice_as_from_two_tabs_keeps_one_dismissal_by_the_first(
        lms, instructor, gamed_class, session):  # noqa: F811
    people = _people(session)
    flat = people["student-1"]
    other_tab = Visitor(lms, "ta-1")
    other_tab.launch()

    first = instructor.post(DISMISS, {"reviewer": str(flat.id), "kind": "flat"})
    second = other_tab.post(DISMISS, {"reviewer": str(flat.id), "kind": "flat"})

    assert first.status_code == second.status_code == 200
    assert _dismissals(session) == [(flat.id, "flat", people["instructor-1"].id)]
    again = other_tab.post(UNDO, {"reviewer": str(flat.id), "kind": "flat"})
    twice = instructor.post(UNDO, {"reviewer": str(flat.id), "kind": "flat"})
    assert again.status_code == twice.status_code == 200 and _dismissals(session) == []


@pytest.mark.parametrize("form, status, message", [
    ({"reviewer": "{flat}", "kind": "sloppy"}, 400, "Choose one of the kinds of warning listed."),
    ({"reviewer": "{flat}"}, 400, "Choose one of the kinds of warning listed."),
    ({"reviewer": "not a number", "kind": "flat"}, 400, "Choose a reviewer from the list of warnings."),
    ({"reviewer": "99999999999999999999", "kind": "flat"}, 400, "Choose a reviewer from the list of warnings."),
    ({"kind": "flat"}, 400, "Choose a reviewer from the list of warnings."),
    ({"reviewer": "999999", "kind": "flat"}, 404, "No reviewer of this activity has that id: reload the page."),
    ({"reviewer": "{instructor}", "kind": "flat"}, 404, "No reviewer of this activity has that id: reload the page."),
])
@pytest.mark.parametrize("route", [DISMISS, UNDO])
def test_an_unknown_reviewer_or_kind_is_refused_with_a_reason_and_nothing_stored(
        instructor, gamed_class, session, route, form, status, message):  # noqa: F811
    people = _people(session)
    ids = {"flat": people["student-1"].id, "instructor": people["instructor-1"].id}
    counts = row_counts(session)

    refused = instructor.post(route, {key: value.format(**ids) for key, value in form.items()})

    assert refused.status_code == status and message in unescape(refused.text)
    assert row_counts(session) == counts


@pytest.mark.parametrize("route", [DISMISS, UNDO])
def test_a_form_with_a_bad_csrf_token_is_refused_and_nothing_stored(
        instructor, gamed_class, session, route):  # noqa: F811
    flat = _people(session)["student-1"]
    counts = row_counts(session)

    refused = instructor.post(route, {"reviewer": str(flat.id), "kind": "flat", "csrf_token": "forged"}, csrf=False)

    assert refused.status_code == 400 and "This form expired" in unescape(refused.text)
    assert row_counts(session) == counts


@pytest.mark.parametrize("route", [DISMISS, UNDO])
def test_before_grades_are_computed_no_warning_can_be_dismissed(instructor, class_in_review, session, route):
    review_everything(class_in_review, session)
    reviewer = _people(session)["student-1"].id
    assert see_committed(session).scalar(select(func.count()).select_from(Grade)) == 0
    counts = row_counts(session)

    refused = instructor.post(route, {"reviewer": str(reviewer), "kind": "flat"})

    assert refused.status_code == 409
    assert "Reviewer warnings come from computed grades" in unescape(refused.text)
    assert row_counts(session) == counts


@pytest.mark.parametrize("kind", VISITORS)
def test_each_dismissal_route_admits_exactly_the_visitors_it_should(
        lms, instructor, gamed_class, session, kind):  # noqa: F811
    flat = _people(session)["student-1"].id
    visitor = gamed_class["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)
    routes = [("POST", DISMISS, {"reviewer": str(flat), "kind": "flat"}, 200, 403),
              ("POST", UNDO, {"reviewer": str(flat), "kind": "flat"}, 200, 403)]

    observed, expected = observed_and_expected(visitor, VISITORS[kind], routes, {}, instructor)

    assert observed == expected
    assert _dismissals(session) == []  # staff dismissed and undid; nobody else stored anything


def test_the_kept_advice_is_worked_out_again_when_a_warning_is_dismissed_and_undone(
        instructor, gamed_class, session):  # noqa: F811
    """The work to grade first weighs open warnings only: a dismissal that left the advice as the grading run kept
    it would go on ranking work by warnings staff dismissed."""
    people = _people(session)
    assignment = see_committed(session).scalar(select(Grade.assignment_id).limit(1))

    def kept() -> tuple:
        current = see_committed(session)
        return current.execute(select(StoredAdvice.computed_at, StoredAdvice.document)
                               .where(StoredAdvice.assignment_id == assignment)).one()

    def fresh() -> list:
        current = see_committed(session)
        return advice_document(current, current.get(Assignment, assignment))["grade_first"]

    graded_at, _ = kept()
    pair = [str(people["student-2"].id), str(people["student-3"].id)]
    instructor.post(DISMISS, {"reviewer": pair, "kind": "reciprocal", "back": "grades"})
    dismissed_at, document = kept()
    assert dismissed_at > graded_at and document["grade_first"] == fresh()

    instructor.post(UNDO, {"reviewer": pair, "kind": "reciprocal", "back": "grades"})
    undone_at, document = kept()
    assert undone_at > dismissed_at and document["grade_first"] == fresh()
