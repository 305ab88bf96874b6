"""Teammate evaluation in the browser: the instructor's settings and their locks, members rating their teammates in
the window, every bad rating refused with its reason, and ratings kept from teammates while staff read them all."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select, update

from assessment.models import Assignment, Enrollment, Person, TeammateRating, TeamMembership
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import Visitor, page_text

# Red: Amara (student-1), Ben (student-2), Farhan (student-6); Blue: Chloé (student-3), Daniel (student-4).
CSV = ("team,student\nRed,student-1\nRed,student-2\nRed,student-6\nBlue,student-3\nBlue,student-4\n")
USERS = ("student-1", "student-2", "student-3", "student-4", "student-6")
DEFAULTS = {"enabled": "y", "criteria": "Contribution to the work\nReliability\nCommunication\nQuality of ideas",
            "low": "1", "high": "5", "weight": "100", "cap": "", "non_rater": "penalty", "non_rater_penalty": "0",
            "non_rater_factor": "1"}
GOOD = {"score-contribution": "4", "score-reliability": "3", "score-communication": "4", "score-ideas": "2",
        "comment": ""}


@pytest.fixture
def team(lms, instructor, session) -> dict[str, Visitor]:
    """Five students in two teams of a team assignment with teammate evaluation on (the defaults)."""
    visitors = {}
    for user in USERS:
        visitors[user] = Visitor(lms, user)
        visitors[user].launch()
    session.execute(update(Assignment).values(team_assignment=True))
    session.commit()
    uploaded = instructor.post("/links/{link}/teams/import",
                               files={"file": ("teams.csv", CSV.encode(), "text/csv")})
    assert uploaded.status_code == 200, page_text(uploaded)[:300]
    saved = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS)
    assert saved.status_code == 200 and "Teammate evaluation saved." in page_text(saved), page_text(saved)[:500]
    return visitors


@pytest.fixture
def handed_in(team) -> dict[str, Visitor]:
    """Both teams handed in their work, which opens rating."""
    for user in ("student-1", "student-3"):
        assert team[user].post("/links/{link}/submission", {"text": "Our team essay."}).status_code == 200
    return team


def person(session, user: str) -> int:
    return see_committed(session).scalar(select(Person.id).where(Person.subject == user))


def ratings(session) -> list[TeammateRating]:
    return list(see_committed(session).scalars(select(TeammateRating).order_by(TeammateRating.id)))


def rate(visitor: Visitor, session, user: str, data: dict[str, str]):
    return visitor.post(f"/links/{{link}}/teammates/{person(session, user)}", data)


# --- the instructor's settings ---------------------------------------------------------------------------------------

def test_staff_turn_evaluation_on_with_the_default_criteria_and_grade_rules(team, session):
    assignment = see_committed(session).scalars(select(Assignment)).one()

    document = assignment.teammate_evaluation_document
    assert [criterion["key"] for criterion in document["criteria"]] == [
        "contribution", "reliability", "communication", "ideas"]
    assert (document["low"], document["high"], document["include_self"]) == (1, 5, False)
    assert (document["weight"], document["cap"], document["non_rater"]) == (1.0, None, {"penalty": 0.0})


def test_staff_set_their_own_criteria_scale_self_rating_weight_cap_and_fixed_factor(instructor, team, session):
    response = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {
        "criteria": "Effort\nReliability", "low": "0", "high": "10", "include_self": "y", "weight": "50",
        "cap": "1.5", "non_rater": "factor", "non_rater_factor": "0.5"})

    assert response.status_code == 200
    evaluation = see_committed(session).scalars(select(Assignment)).one().teammate_evaluation
    assert [c.label for c in evaluation.criteria] == ["Effort", "Reliability"]
    assert evaluation.criteria[1].key == "reliability"
    assert (evaluation.low, evaluation.high, evaluation.include_self) == (0, 10, True)
    assert (evaluation.policy.weight, evaluation.policy.cap, evaluation.policy.non_rater.factor) == (0.5, 1.5, 0.5)


@pytest.mark.parametrize(("change", "message"), [
    ({"low": "5", "high": "3"}, "Ratings run from a whole number of at least 0 to a higher one of at most 10."),
    ({"low": "0", "high": "11"}, "Ratings run from a whole number of at least 0 to a higher one of at most 10."),
    ({"weight": "100.5"}, "The share of the grade the contribution factor moves is a percentage from 0 to 100."),
    ({"weight": "-1"}, "The share of the grade the contribution factor moves is a percentage from 0 to 100."),
    ({"cap": "0.99"}, "The cap on the contribution factor is a number of at least 1."),
    ({"non_rater_penalty": "101"}, "The penalty for not rating teammates is a percentage from 0 to 100."),
    ({"non_rater": "factor", "non_rater_factor": "-0.1"},
     "The factor for members who did not rate is a number of at least 0."),
    ({"criteria": ""}, "Teammates rate each other on between 1 and 10 criteria."),
    ({"criteria": "\n".join(f"Criterion {n}" for n in range(11))},
     "Teammates rate each other on between 1 and 10 criteria."),
    ({"criteria": "Effort\nEffort"}, "Each criterion needs its own name."),
    ({"criteria": "x" * 201}, "Each criterion needs a name of at most 200 characters."),
])
def test_bad_settings_are_refused_beside_their_field_and_nothing_changes(instructor, team, session, change, message):
    response = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | change)

    assert response.status_code == 400 and message in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document["weight"] == 1.0


def test_the_edges_of_each_setting_are_accepted(instructor, team, session):
    response = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {
        "criteria": "\n".join(f"Criterion {n}" for n in range(10)), "low": "0", "high": "10", "weight": "0",
        "cap": "1", "non_rater_penalty": "100"})

    assert response.status_code == 200, page_text(response)[:400]
    document = see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document
    assert (len(document["criteria"]), document["weight"], document["cap"], document["non_rater"]) == (
        10, 0.0, 1.0, {"penalty": 1.0})


def test_staff_turn_evaluation_off_before_any_rating(instructor, team, session):
    response = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {"enabled": ""})

    assert response.status_code == 200
    assert see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document is None


def test_an_individual_assignment_has_no_teammate_evaluation_to_set(instructor, team, session):
    session.execute(update(Assignment).values(team_assignment=False))
    session.commit()

    page = instructor.get("/links/{link}/teammate-evaluation")
    saved = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS)

    assert page.status_code == 200 and "This is not a team assignment" in page_text(page)
    assert saved.status_code == 409 and "This is not a team assignment" in page_text(saved)


def test_once_a_rating_exists_criteria_scale_and_self_rating_are_locked_with_the_reason(instructor, handed_in,
                                                                                       session):
    assert rate(handed_in["student-1"], session, "student-2", GOOD).status_code == 200
    before = see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document

    page = instructor.get("/links/{link}/teammate-evaluation")
    refused = [instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | change)
               for change in ({"high": "7"}, {"criteria": "Effort"}, {"include_self": "y"}, {"enabled": ""})]

    assert "the ratings given would mean something else" in page_text(page)
    assert [response.status_code for response in refused] == [409, 409, 409, 409]
    assert all("nothing was saved" in page_text(response) for response in refused)
    assert "set the share of the grade it moves to 0%" in page_text(refused[3])
    assert see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document == before


def test_once_a_rating_exists_the_weight_cap_and_non_rater_rule_still_change(instructor, handed_in, session):
    rate(handed_in["student-1"], session, "student-2", GOOD)

    response = instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {
        "weight": "40", "cap": "1.2", "non_rater": "factor", "non_rater_factor": "0.8"})

    assert response.status_code == 200
    document = see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document
    assert (document["weight"], document["cap"], document["non_rater"]) == (0.4, 1.2, {"factor": 0.8})


# --- rating teammates -------------------------------------------------------------------------------------------------

def test_a_member_rates_a_teammate_and_a_second_save_updates_the_one_rating(handed_in, session):
    amara = handed_in["student-1"]
    page = amara.get("/links/{link}/teammates")

    first = rate(amara, session, "student-2", GOOD)
    second = rate(amara, session, "student-2", GOOD | {"score-ideas": "3"})

    assert page.status_code == 200 and "Ben Carter" in page_text(page) and "Farhan Siddiqui" in page_text(page)
    assert "Chloé Dubois" not in page_text(page) and "Yourself" not in page_text(page)
    assert first.status_code == 200 and "Rating saved." in page_text(second)
    rows = ratings(session)
    assert len(rows) == 1
    assert rows[0].scores == {"contribution": 4, "reliability": 3, "communication": 4, "ideas": 3}
    assert (rows[0].rater_id, rows[0].ratee_id) == (person(session, "student-1"), person(session, "student-2"))


def test_a_rating_at_either_extreme_needs_a_comment(handed_in, session):
    amara = handed_in["student-1"]

    low = rate(amara, session, "student-2", GOOD | {"score-ideas": "1"})
    high = rate(amara, session, "student-2", GOOD | {"score-ideas": "5", "comment": "  \r\n\t "})
    explained = rate(amara, session, "student-2", GOOD | {"score-ideas": "5", "comment": "Had the key idea."})

    assert low.status_code == 400 and high.status_code == 400
    assert all("A rating of 1 or 5 needs a comment saying why" in page_text(r) for r in (low, high))
    assert explained.status_code == 200
    assert [row.comment for row in ratings(session)] == ["Had the key idea."]


@pytest.mark.parametrize(("score", "message"), [
    ("0", "A rating is a whole number from 1 to 5."),
    ("6", "A rating is a whole number from 1 to 5."),
    ("2.5", "A rating is a whole number from 1 to 5."),
    ("plenty", "A rating is a whole number from 1 to 5."),
    ("", "Rate this teammate on every criterion."),
])
def test_a_rating_off_the_scale_or_missing_is_refused_and_nothing_is_saved(handed_in, session, score, message):
    response = rate(handed_in["student-1"], session, "student-2", GOOD | {"score-reliability": score})

    assert response.status_code == 400 and message in page_text(response)
    assert ratings(session) == []


def test_a_rating_on_a_criterion_not_listed_is_refused(handed_in, session):
    response = rate(handed_in["student-1"], session, "student-2", GOOD | {"score-charm": "3"})

    assert response.status_code == 400 and "Rate only on the criteria listed." in page_text(response)
    assert ratings(session) == []


def test_a_comment_with_control_characters_or_over_its_limit_is_refused_and_one_at_the_limit_kept(handed_in, session):
    amara = handed_in["student-1"]

    too_long = rate(amara, session, "student-2", GOOD | {"comment": "x" * 2001})
    controls = [rate(amara, session, "student-2", GOOD | {"comment": f"Good{character} work"})
                for character in ("\x00", "\x1b", "\x7f")]
    at_limit = rate(amara, session, "student-6", GOOD | {"comment": "x" * 2000})
    cleaned = rate(amara, session, "student-2", GOOD | {"comment": " Good work\r\nthanks "})

    assert too_long.status_code == 400 and "Keep the comment to 2,000 characters; it has 2,001." in page_text(too_long)
    assert all(r.status_code == 400 and "control characters (such as a NUL byte)" in page_text(r) for r in controls)
    assert at_limit.status_code == 200 and cleaned.status_code == 200
    assert sorted((len(row.comment), row.comment[:4]) for row in ratings(session)) == [(16, "Good"), (2000, "xxxx")]
    assert any(row.comment == "Good work\nthanks" for row in ratings(session))


def test_a_member_cannot_rate_someone_outside_their_team_or_themselves_unless_asked(handed_in, session):
    amara = handed_in["student-1"]

    outsider = rate(amara, session, "student-3", GOOD)
    nobody = amara.post("/links/{link}/teammates/999999", GOOD)
    themselves = rate(amara, session, "student-1", GOOD)

    assert outsider.status_code == 400 and "not a member of your team now" in page_text(outsider)
    assert nobody.status_code == 400 and "not a member of your team now" in page_text(nobody)
    assert themselves.status_code == 400 and "does not ask you to rate yourself" in page_text(themselves)
    assert ratings(session) == []


def test_members_rate_themselves_when_the_instructor_asks(instructor, handed_in, session):
    instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {"include_self": "y"})

    page = handed_in["student-1"].get("/links/{link}/teammates")
    response = rate(handed_in["student-1"], session, "student-1", GOOD)

    assert "Yourself" in page_text(page) and response.status_code == 200
    assert [(row.rater_id, row.ratee_id) for row in ratings(session)] == [(person(session, "student-1"),) * 2]


def test_a_member_moved_to_another_team_is_no_longer_rated_by_the_old_team(instructor, team, session):
    blue = see_committed(session).scalar(select(TeamMembership.team_id).where(
        TeamMembership.person_id == person(session, "student-3")))
    moved = instructor.post("/links/{link}/teams/move", {"person": str(person(session, "student-2")),
                                                        "team": str(blue)})
    assert moved.status_code == 200
    team["student-1"].post("/links/{link}/submission", {"text": "Our team essay."})

    page = team["student-1"].get("/links/{link}/teammates")
    response = rate(team["student-1"], session, "student-2", GOOD)

    assert "Ben Carter" not in page_text(page) and "Farhan Siddiqui" in page_text(page)
    assert response.status_code == 400 and "not a member of your team now" in page_text(response)
    assert ratings(session) == []


def test_a_member_who_left_the_course_is_not_rated_and_can_no_longer_rate(handed_in, session):
    ben = person(session, "student-2")
    session.execute(delete(Enrollment).where(Enrollment.person_id == ben))
    session.commit()

    page = handed_in["student-1"].get("/links/{link}/teammates")
    rated = rate(handed_in["student-1"], session, "student-2", GOOD)
    rating = rate(handed_in["student-2"], session, "student-1", GOOD)

    assert "Ben Carter" not in page_text(page) and "Farhan Siddiqui" in page_text(page)
    assert rated.status_code == 400 and "not a member of your team now" in page_text(rated)
    assert rating.status_code == 403 and "You no longer take part in this course" in page_text(rating)
    assert ratings(session) == []


def test_without_teammate_evaluation_or_teams_there_is_nothing_to_rate(instructor, handed_in, session):
    instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {"enabled": ""})
    off = [handed_in["student-1"].get("/links/{link}/teammates"), rate(handed_in["student-1"], session, "student-2", GOOD),
           instructor.get("/links/{link}/teammate-ratings")]
    session.execute(update(Assignment).values(team_assignment=False,
                                              teammate_evaluation_document={"criteria": [], "low": 1, "high": 5}))
    session.commit()
    individual = handed_in["student-1"].get("/links/{link}/teammates")

    assert [response.status_code for response in off] == [404, 404, 404]
    assert all("This assignment has no teammate evaluation" in page_text(response) for response in off)
    assert individual.status_code == 404 and "This is not a team assignment" in page_text(individual)
    assert ratings(session) == []


def test_a_student_in_no_team_is_told_so(lms, handed_in, session):
    elena = Visitor(lms, "student-5")
    elena.launch()

    page = elena.get("/links/{link}/teammates")
    response = rate(elena, session, "student-2", GOOD)
    home = elena.get("/links/{link}")

    assert page.status_code == 404 and "You are in no team" in page_text(page)
    assert response.status_code == 404 and "You are in no team" in page_text(response)
    assert home.status_code == 200 and "step-rate_teammates" not in home.text
    assert ratings(session) == []


def test_rating_waits_for_the_teams_work_and_nothing_is_saved_before(team, session):
    page = team["student-1"].get("/links/{link}/teammates")
    before = row_counts(session)

    response = rate(team["student-1"], session, "student-2", GOOD)

    assert "Rating opens once your team\N{RIGHT SINGLE QUOTATION MARK}s work is handed in" in page_text(page)
    assert "Save the rating" not in page.text
    assert response.status_code == 409 and "opens once your team's work is handed in" in page_text(response)
    assert row_counts(session) == before


def test_one_team_handing_in_opens_rating_for_that_team_only(team, session):
    team["student-3"].post("/links/{link}/submission", {"text": "Blue essay."})

    red = rate(team["student-1"], session, "student-2", GOOD)
    blue = rate(team["student-4"], session, "student-3", GOOD)

    assert (red.status_code, blue.status_code) == (409, 200)


def test_a_save_after_results_are_released_gets_a_409_page_and_nothing_changes(instructor, handed_in, session):
    rate(handed_in["student-1"], session, "student-2", GOOD)
    instructor.post("/links/{link}/phase", {"phase": "released"})
    before = [(row.scores, row.comment) for row in ratings(session)]

    late = rate(handed_in["student-1"], session, "student-2", GOOD | {"score-ideas": "4"})
    page = handed_in["student-1"].get("/links/{link}/teammates")

    assert late.status_code == 409
    assert "Results have been released, so teammate ratings are closed; nothing was saved." in page_text(late)
    assert [(row.scores, row.comment) for row in ratings(session)] == before
    assert "ratings are closed" in page_text(page) and "Update the rating" not in page.text


def test_staff_cannot_rate_as_a_student(instructor, handed_in, session):
    page = instructor.get("/links/{link}/teammates")
    response = rate(instructor, session, "student-2", GOOD)

    assert page.status_code == 403 and response.status_code == 403
    assert "course staff read the ratings" in page_text(response)
    assert ratings(session) == []


# (method, path, data, status for staff, status for a student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}/teammate-evaluation", None, 200, 403),
    ("POST", "/links/{link}/teammate-evaluation", DEFAULTS, 200, 403),
    ("GET", "/links/{link}/teammate-ratings", None, 200, 403),
    ("GET", "/links/{link}/teammates", None, 403, 200),
    ("POST", "/links/{link}/teammates/{ben}", GOOD, 403, 200),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_each_teammate_evaluation_route_admits_exactly_the_visitors_it_should(lms, instructor, handed_in, session,
                                                                             kind):
    visitor = handed_in["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], ROUTES, {"ben": person(session, "student-2")},
                                               instructor)

    assert observed == expected


# --- anonymity among teammates ----------------------------------------------------------------------------------------

def test_a_member_never_sees_anyones_ratings_but_their_own_and_staff_see_them_all(instructor, handed_in, session):
    amara, ben = handed_in["student-1"], handed_in["student-2"]
    rate(amara, session, "student-6", GOOD | {"score-ideas": "1", "comment": "Amara-on-Farhan: never came."})
    rate(amara, session, "student-2", GOOD | {"comment": "Amara-on-Ben: steady."})
    rate(ben, session, "student-6", GOOD | {"comment": "Ben-on-Farhan: fine."})

    pages = ("/links/{link}/teammates", "/links/{link}", "/links/{link}/me", "/links/{link}/feedback")
    seen = {user: " ".join(visitor.get(path).text for path in pages) for user, visitor in handed_in.items()}
    refused = rate(ben, session, "student-6", GOOD | {"score-ideas": "9"})
    staff = page_text(instructor.get("/links/{link}/teammate-ratings"))

    assert "Amara-on-Farhan" in seen["student-1"] and "Ben-on-Farhan" not in seen["student-1"]
    assert not any(phrase in seen["student-2"] for phrase in ("Amara-on-Farhan", "Amara-on-Ben"))
    assert not any(phrase in seen["student-6"] for phrase in ("Amara-on-Farhan", "Amara-on-Ben", "Ben-on-Farhan"))
    assert not any("Amara-on" in seen[user] or "Ben-on" in seen[user] for user in ("student-3", "student-4"))
    assert all(phrase in staff for phrase in ("Amara-on-Farhan: never came.", "Amara-on-Ben: steady.",
                                              "Ben-on-Farhan: fine."))
    assert "Still to rate everyone: Ben Carter, Farhan Siddiqui" in staff
    assert refused.status_code == 400 and "A rating is a whole number from 1 to 5." in page_text(refused)
    assert "Amara-on" not in refused.text
    assert see_committed(session).scalar(select(func.count()).select_from(TeammateRating)) == 3


# --- the student's home -----------------------------------------------------------------------------------------------

def _step_text(visitor: Visitor) -> str:
    page = visitor.get("/links/{link}")
    match = re.search(r'<li class="step step-(\w+)"\s+id="step-rate_teammates".*?</li>', page.text, re.S)
    assert match, "no rating step on the home page"
    return match.group(1) + " " + re.sub(r"<[^>]+>|\s+", " ", match.group(0))


def test_the_home_shows_rating_teammates_as_a_step_owed_then_done(handed_in, session):
    amara = handed_in["student-1"]

    owed, home = _step_text(amara), page_text(amara.get("/links/{link}"))
    rate(amara, session, "student-2", GOOD)
    half = _step_text(amara)
    rate(amara, session, "student-6", GOOD)
    done = _step_text(amara)

    assert owed.startswith("current") and "Rate your teammates" in owed and "0 of 2 ratings done" in owed
    assert "Next: rate your teammates" in home
    assert half.startswith("current") and "1 of 2 ratings done" in half
    assert done.startswith("done") and "2 of 2 ratings done" in done and "See or change your ratings" in done


def test_the_rating_step_waits_until_the_team_hands_in(team):
    assert _step_text(team["student-1"]).startswith("upcoming")


def test_without_teammate_evaluation_the_home_has_no_rating_step(instructor, handed_in):
    instructor.post("/links/{link}/teammate-evaluation", DEFAULTS | {"enabled": ""})

    page = handed_in["student-1"].get("/links/{link}")

    assert page.status_code == 200 and "step-rate_teammates" not in page.text
