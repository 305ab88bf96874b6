"""Every main page sends as many SQL statements for a class ten times larger: none loads rows one student at a time."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, update

from assessment.db import utcnow
from assessment.models import (
    Assignment,
    CourseRole,
    Review,
    ReviewStatus,
    Team,
    TeammateRating,
    TeamMembership,
    WarningDismissal,
)
from assessment.reviewer_warnings import WARNING_KINDS
from assessment.teammate_evaluation import TeammateEvaluation
from tests.support.cohort import CRITERION
from tests.support.page_class import PageClass, counted_statements, launched_client, page_class

SMALL = 6
STUDENT_HOME_MOST = 4

# (who, address with the class's ids): the pages a student and staff open most.
PAGES = {
    "student home": (CourseRole.STUDENT, "/links/{link}"),
    "feedback page": (CourseRole.STUDENT, "/links/{link}/feedback"),
    "review page": (CourseRole.STUDENT, "/links/{link}/reviews/{review}"),
    "staff dashboard": (CourseRole.STAFF, "/links/{link}"),
    "grades page": (CourseRole.STAFF, "/links/{link}/grades"),
    "roster page": (CourseRole.STAFF, "/links/{link}/people"),
    "progress of submissions": (CourseRole.STAFF, "/links/{link}/submissions"),
    "allocation page": (CourseRole.STAFF, "/links/{link}/allocation"),
    "flag queue": (CourseRole.STAFF, "/links/{link}/flags"),
    "coverage page": (CourseRole.STAFF, "/links/{link}/coverage"),
    "staff work page": (CourseRole.STAFF, "/links/{link}/students/{student}/work"),
}


def _statements(app, place: PageClass, page: str) -> list[str]:
    role, address = PAGES[page]
    person = place.staff_id if role is CourseRole.STAFF else place.student_ids[0]
    client = launched_client(app, place, person, role)
    path = address.format(link=place.link_id, review=place.review_id, student=place.student_ids[0])
    client.get(path)  # once before counting: what an app does once per process is not the page's
    with counted_statements(app) as counted:
        response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return counted.statements


@pytest.fixture
def small_and_large(app, session) -> tuple[PageClass, PageClass]:
    now = utcnow()
    return page_class(session, SMALL, now), page_class(session, 10 * SMALL, now)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_sends_as_many_statements_for_a_class_ten_times_larger(app, small_and_large, page):
    small, large = small_and_large

    for_small, for_large = _statements(app, small, page), _statements(app, large, page)

    assert len(for_large) == len(for_small), "\n".join(for_large)


@pytest.mark.parametrize("released", [False, True], ids=["in review", "released"])
def test_the_student_home_takes_at_most_four_statements(app, session, released):
    place = page_class(session, SMALL, utcnow(), released=released)

    statements = _statements(app, place, "student home")

    assert len(statements) <= STUDENT_HOME_MOST, "\n\n".join(statements)


def _in_teams_rating_each_other(session, place: PageClass) -> None:
    """The class works in teams of three with teammate evaluation on; the first student rated one teammate."""
    session.execute(update(Assignment).where(Assignment.id == place.assignment_id).values(
        team_assignment=True, teammate_evaluation_document=TeammateEvaluation().to_document()))
    teams = []
    for number, start in enumerate(range(0, len(place.student_ids), 3)):
        teams.append(team := session.scalar(insert(Team).returning(Team.id).values(
            assignment_id=place.assignment_id, name=f"Team {number}", code=f"T{number:03d}")))
        session.execute(insert(TeamMembership), [
            {"assignment_id": place.assignment_id, "team_id": team, "person_id": person, "since": utcnow()}
            for person in place.student_ids[start:start + 3]])
    first, teammate = place.student_ids[:2]
    session.execute(insert(TeammateRating).values(
        assignment_id=place.assignment_id, team_id=teams[0], rater_id=first, ratee_id=teammate,
        scores={criterion.key: 3 for criterion in TeammateEvaluation().criteria}, comment="", updated_at=utcnow()))
    session.commit()


@pytest.mark.parametrize("released", [False, True], ids=["in review", "released"])
def test_the_student_home_of_a_team_assignment_takes_at_most_five_statements_whatever_the_class(app, session,
                                                                                                 released):
    now = utcnow()
    small, large = page_class(session, SMALL, now, released=released), page_class(session, 10 * SMALL, now,
                                                                                   released=released)
    for place in (small, large):
        _in_teams_rating_each_other(session, place)

    for_small, for_large = _statements(app, small, "student home"), _statements(app, large, "student home")

    # The home's four, and one for the team: its members, whom the student rated and whether its work is in.
    assert len(for_small) == len(for_large) <= STUDENT_HOME_MOST + 1, "\n\n".join(for_large)
    shown = launched_client(app, small, small.student_ids[0], CourseRole.STUDENT).get(f"/links/{small.link_id}")
    page = shown.get_data(as_text=True)
    assert "Your team: Team 0" in page
    assert "1 of 2 ratings done" in page  # of their two teammates, they rated one


def _dismiss_every_warning(session, place: PageClass) -> None:
    """Every kind of warning about every student dismissed by the class's staff member, whichever the run found."""
    session.execute(insert(WarningDismissal), [
        {"assignment_id": place.assignment_id, "reviewer_id": student, "kind": kind, "dismissed_by_id": place.staff_id,
         "dismissed_at": utcnow()} for student in place.student_ids for kind in WARNING_KINDS])
    session.commit()


@pytest.mark.parametrize("page", ["staff dashboard", "grades page"])
def test_dismissed_warnings_cost_as_many_statements_for_a_class_ten_times_larger(app, session, small_and_large, page):
    small, large = small_and_large
    for place in small_and_large:
        _dismiss_every_warning(session, place)

    for_small, for_large = _statements(app, small, page), _statements(app, large, page)

    assert len(for_large) == len(for_small), "\n".join(for_large)
    shown = launched_client(app, small, small.staff_id, CourseRole.STAFF).get(f"/links/{small.link_id}/grades")
    assert 'id="dismissed-warnings"' in shown.get_data(as_text=True)
    assert 'id="reviewer-warnings"' not in shown.get_data(as_text=True)


# A student without an extension works to the class's dates: whether one concerns them comes along with the page's
# first statement, so their dates cost no statement of their own.
@pytest.mark.parametrize(("page", "most"), [("feedback page", 3), ("review page", 6)])
def test_a_student_without_an_extension_costs_no_statement_for_their_dates(app, session, page, most):
    place = page_class(session, SMALL, utcnow())

    statements = _statements(app, place, page)

    assert len(statements) == most, "\n\n".join(statements)
    assert not any(statement.startswith("SELECT extensions.") for statement in statements)


def test_the_staff_dashboard_takes_a_fixed_number_of_statements(app, session):
    place = page_class(session, SMALL, utcnow(), released=False)

    statements = _statements(app, place, "staff dashboard")

    # Coverage takes two of them (the works and what each reviewer owes): the extensions that move students' dates are
    # read once, for the student table and for coverage alike, as the calibration examples are for the students'
    # calibration and for the count of examples still to write, and the students' enrolments for the table and for
    # marking the late arrivals.
    assert len(statements) == 16, "\n\n".join(statements)
    assert sum(statement.startswith("SELECT extensions.") for statement in statements) == 1, "\n\n".join(statements)
    assert sum("FROM calibration_examples" in statement for statement in statements) == 1, "\n\n".join(statements)


def test_saving_a_review_draft_takes_five_statements(app, session):
    place = page_class(session, SMALL, utcnow(), released=False)
    session.execute(update(Review).where(Review.id == place.review_id).values(status=ReviewStatus.ASSIGNED,
                                                                               lease_expires_at=None))
    session.commit()
    client = launched_client(app, place, place.student_ids[0], CourseRole.STUDENT)
    path = f"/links/{place.link_id}/reviews/{place.review_id}"
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]

    with counted_statements(app) as counted:
        response = client.post(path, data={"csrf_token": csrf, "action": "draft", "comment-" + CRITERION: "Clear."})

    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    # The launch, the review, the review locked, its flag and the student's extension in one, the update.
    assert counted.count == 5, "\n\n".join(counted.statements)
    session.expire_all()
    assert session.get(Review, place.review_id).comments == {CRITERION: "Clear."}
