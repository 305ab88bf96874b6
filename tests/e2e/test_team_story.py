"""A team assignment played through the sandbox LMS in headless Chromium: teams made by the tool, one hand-in per
team, reviews between teams under team codes only, teammates' ratings with a free rider, and individual grades in the
gradebook."""

from __future__ import annotations

import pytest

from sandbox.course import DEMO_COURSE, TEAM_PROJECT
from tests.support.in_browser import (
    INSTRUCTOR,
    Person,
    add_criterion,
    create_at_link,
    gradebook_scores,
    hand_in,
    make_teams,
    move_phase,
    new_browser_page,
    open_activity,
    rate_teammates,
    release_grades,
    review_peers,
    run_grading,
    save_settings,
    set_teammate_evaluation,
    settle_doubtful_grades,
    sync_roster,
)

pytestmark = pytest.mark.e2e
LINK = TEAM_PROJECT.id
NAMES = {person.name: person.user_id for person in DEMO_COURSE.learners}
LAZY = "Missed every meeting and sent nothing for the poster."


@pytest.mark.parametrize("lms", [{"team_project": True}], indirect=True)
def test_a_team_project_from_teams_made_by_the_tool_to_individual_grades(chromium, lms, evidence):
    ada = Person(INSTRUCTOR, new_browser_page(chromium), lms, evidence)
    create_at_link(ada, LINK, "Team project: Poster", "100")
    save_settings(ada, {"Reviews each student must do": "1", "Reviews each submission needs": "3"},
                  ticked=("Team assignment: students hand in and are reviewed as teams",))
    add_criterion(ada, "Poster", "What would make the poster clearer?")
    set_teammate_evaluation(ada)
    sync_roster(ada)
    teams = make_teams(ada, 3, 3)
    ada.seen("teams", readme_name="teams")
    open_activity(ada, LINK)

    # Six students, two teams of three, nobody left out or placed twice.
    assert len(teams) == 2 and all(len(members) == 3 for members in teams.values()), teams
    assert sorted(name for members in teams.values() for name in members) == sorted(NAMES)
    codes = {name: code for code, members in teams.items() for name in members}
    (first_code, first), (second_code, second) = teams.items()

    # One member of each team hands in for the whole team; the other members see the team's work as theirs.
    lab = new_browser_page(chromium)
    students = {name: Person(NAMES[name], lab, lms, evidence) for name in NAMES}
    hand_in(students[first[0]], "Poster A: how peer review teaches students to judge work.", LINK)
    hand_in(students[second[0]], "Poster B: what students learn by reviewing each other.", LINK)
    home = students[first[1]].launch(LINK)
    assert "Poster A" in home.locator("main").inner_text() and first_code in home.locator("#my-team").inner_text()
    move_phase(ada, "review", LINK)

    # Each student reviews the other team's work, known only by its code; nobody is served their own team's work.
    for name, student in students.items():
        student.launch(LINK)
        other = second_code if codes[name] == first_code else first_code
        # The first team's work is scored below full marks, so its members' factors show unclipped in the grades.
        score = ["2"] if other == first_code else ["3"]
        [heading] = review_peers(student, 1, score, comment="Clear headings; the sources could be bigger.")
        assert heading == f"Review of Team {other}", heading
        assert not any(member in heading for member in NAMES)

    # Teammates rate each other: in the first team, the third member did nothing and both teammates say so.
    free_rider = first[2]
    fair = ("4", "Did a fair share of the work.")
    for name, student in students.items():
        student.launch(LINK)
        team = first if name in first else second
        ratings = {mate: (("1", LAZY) if mate == free_rider else fair) for mate in team if mate != name}
        rate_teammates(student, ratings)
        if name == first[0]:
            student.seen("rating-page", readme_name="teammate-rating")
        assert student.tool.locator(".badge.warn", has_text="not rated yet").count() == 0

    ada.launch(LINK)
    ada.navigate("Teams")
    ada.follow(ada.tool.get_by_role("link", name="Teammate ratings"))
    ratings_page = ada.tool.locator("main").inner_text()
    assert ratings_page.count(LAZY) == 2 and "Still to rate" not in ratings_page
    ada.seen("teammate-ratings", readme_name="teammate-ratings")

    move_phase(ada, "grading", LINK)
    run_grading(ada, students=6)
    grades = _grades_table(ada)
    # The team's work grade reaches every member: both of one team's members with equal ratings get one grade.
    assert grades[second[0]] == grades[second[1]] == grades[second[2]], grades
    assert grades[free_rider] < grades[first[0]] == grades[first[1]], grades
    # The free rider's grade is held for staff; they confirm the factor the ratings give, with a reason.
    # WebPA: each teammate gave the free rider 1 of 5 beside 4 of 5 (a share of 0.2), the free rider gave each of
    # them 0.5; factors are the mean share times the 2 members each rated: 0.4 and (0.8 + 0.5) / 2 * 2 = 1.3.
    assert confirm_factor(ada, free_rider, "Both teammates report no part in the poster; confirmed with the team.") \
        == {free_rider: "0.4", first[0]: "1.3", first[1]: "1.3"}
    ada.navigate("Grades")
    settle_doubtful_grades(ada, "Checked by hand: the reviews agree.")
    ada.seen("team-grades-settled")
    release_grades(ada, students=6)
    released = _grades_table(ada)

    gradebook = gradebook_scores(ada, expected=len(NAMES))
    scores = {name: gradebook[NAMES[name]][0] for name in NAMES}
    assert all(progress == "FullyGraded" for _, progress in gradebook.values()), gradebook
    assert scores == pytest.approx(released), (scores, released)
    # Individual grades that differ by contribution: the free rider below the teammates who carried the work, the
    # other team's equal members level.
    assert scores[free_rider] < scores[first[0]] == scores[first[1]]
    assert scores[second[0]] == scores[second[1]] == scores[second[2]]
    ada.seen("team-gradebook", readme_name="team-gradebook")


def confirm_factor(instructor: Person, name: str, reason: str) -> dict[str, str]:
    """On the Team grades page, set the member's factor to the one their teammates' ratings give, once they are warned
    of as a possible free rider; the factors from ratings of the member's team, by name."""
    tool = instructor.tool
    instructor.navigate("Teams")
    instructor.follow(tool.get_by_role("link", name="Team grades, factors and warnings"))
    team = tool.locator("section.team").filter(has=tool.locator("td", has_text=name))
    factors = {row.locator("td").first.inner_text(): row.locator("td").nth(1).inner_text().split()[0]
               for row in team.locator("tbody tr").all()}
    row = team.locator("tbody tr").filter(has=tool.locator("td", has_text=name))
    assert row.locator(".badge.warn", has_text="possible free rider").count() == 1, row.inner_text()
    factor = factors[name]
    instructor.seen("team-grades", readme_name="team-grades")
    row.locator("input[name=factor]").fill(factor)
    row.locator("input[name=reason]").fill(reason)
    instructor.follow(row.get_by_role("button", name="save"))
    tool.get_by_text("Contribution factor set").wait_for()
    return factors


def _grades_table(instructor: Person) -> dict[str, float]:
    """Each student's total on the Grades page, by name."""
    rows = instructor.tool.locator("#grades tbody tr").all()
    return {row.locator("td").first.inner_text(): float(row.locator("td strong").inner_text()) for row in rows}

