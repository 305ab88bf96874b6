"""Teams made from the roster and read from an instructor's CSV: sizes, balance, and every bad line named."""

from __future__ import annotations

import random

import pytest

from assessment.errors import InvalidInput
from assessment.team_formation import (
    MAX_ATTRIBUTE_CHARACTERS,
    form_teams,
    read_attribute_csv,
    read_team_csv,
    team_code,
    team_count,
)

ROSTER = {"ana@example.edu": 1, "ben@example.edu": 2, "cy@example.edu": 3, "dee@example.edu": 4, "student-5": 5}


@pytest.mark.parametrize(("students", "smallest", "largest", "teams"),
                         [(7, 3, 4, 2), (8, 3, 4, 2), (9, 3, 4, 3), (12, 2, 3, 4), (2, 2, 2, 1), (13, 3, 5, 3)])
def test_the_fewest_teams_within_the_sizes_are_made(students, smallest, largest, teams):
    assert team_count(students, smallest, largest) == teams


@pytest.mark.parametrize(("students", "smallest", "largest"), [(5, 3, 4), (1, 2, 3), (0, 2, 3), (6, 4, 3), (6, 0, 3)])
def test_sizes_that_cannot_fit_the_class_are_refused_with_the_reason(students, smallest, largest):
    with pytest.raises(InvalidInput) as refusal:
        team_count(students, smallest, largest)
    assert "sizes" in refusal.value.problems


@pytest.mark.parametrize("students", range(2, 40))
def test_every_student_is_in_exactly_one_team_of_an_allowed_size(students):
    people = list(range(100, 100 + students))
    try:
        teams = form_teams(people, 2, 4, seed=7)
    except InvalidInput:
        pytest.fail("2 to 4 fits every class of two or more")
    placed = [person for team in teams for person in team]
    assert sorted(placed) == people
    sizes = {len(team) for team in teams}
    assert min(sizes) >= 2 and max(sizes) <= 4 and max(sizes) - min(sizes) <= 1


def test_the_same_seed_gives_the_same_teams_whatever_the_roster_order():
    people = list(range(20))
    shuffled = people[:]
    random.Random(3).shuffle(shuffled)
    assert form_teams(people, 3, 4, seed=11) == form_teams(shuffled, 3, 4, seed=11)
    assert form_teams(people, 3, 4, seed=11) != form_teams(people, 3, 4, seed=12)


def test_balanced_teams_spread_each_value_of_the_attribute_evenly():
    people = list(range(12))
    programme = {person: ("Law" if person < 4 else "Maths") for person in people}  # 4 Law, 8 Maths
    teams = form_teams(people, 3, 3, seed=5, attribute=programme)
    assert len(teams) == 4
    assert [sum(programme[p] == "Law" for p in team) for team in teams] == [1, 1, 1, 1]


def test_random_teams_can_bunch_an_attribute_that_balanced_teams_spread():
    people = list(range(12))
    programme = {person: ("Law" if person < 4 else "Maths") for person in people}
    bunched = any(max(sum(programme[p] == "Law" for p in team) for team in form_teams(people, 3, 3, seed=seed)) > 1
                  for seed in range(20))
    assert bunched


def test_team_codes_use_the_unambiguous_alphabet():
    codes = {team_code(random.Random(seed)) for seed in range(50)}
    assert all(len(code) == 4 and not set(code) & set("01OIL") for code in codes)
    assert len(codes) > 40


def test_a_valid_csv_gives_its_teams_with_members_by_email_or_user_id():
    teams = read_team_csv("Team,Student\nRed,ana@example.edu\nRed,BEN@example.edu\nBlue,cy@example.edu\n"
                          "Blue,student-5\n", ROSTER)
    assert [(team.name, team.members) for team in teams] == [("Red", (1, 2)), ("Blue", (3, 5))]


def test_each_bad_line_of_a_csv_is_named_with_what_is_wrong():
    text = ("team,student\n"
            "Red,ana@example.edu\n"
            "Red,ben@example.edu\n"
            "Blue,nobody@example.edu\n"       # line 4: unknown
            "Blue,ana@example.edu\n"          # line 5: in two teams
            "Green,\n"                        # line 6: an empty team
            "Solo,cy@example.edu\n"           # line 7: a team of one
            ",dee@example.edu\n")             # line 8: no team
    with pytest.raises(InvalidInput) as refusal:
        read_team_csv(text, ROSTER)
    problems = refusal.value.problems
    assert problems == {
        "line 4": "Line 4: no student nobody@example.edu in this course.",
        "line 5": "Line 5: ana@example.edu is already in team Red (line 2); a student is in one team only.",
        "team Green": "Team Green (line 6) has no members.",
        "team Solo": "Team Solo (line 7) has only one member; a team needs at least two.",
        "line 8": "Line 8: the team is missing.",
    }


def test_a_team_of_two_and_a_file_with_blank_lines_are_accepted():
    teams = read_team_csv("\ufeffstudent,team\r\nana@example.edu,A\r\n\r\nben@example.edu,A\r\n", ROSTER)
    assert [(team.name, team.members) for team in teams] == [("A", (1, 2))]


@pytest.mark.parametrize("text", ["", "name,email\nRed,ana@example.edu\n", "team,student\n\n"])
def test_a_csv_without_the_columns_or_without_teams_is_refused(text):
    with pytest.raises(InvalidInput) as refusal:
        read_team_csv(text, ROSTER)
    assert "file" in refusal.value.problems


# --- the attribute to balance teams by, from a CSV ------------------------------------------------------------------


def test_an_attribute_csv_gives_each_listed_students_value_by_email_or_user_id_header_or_not():
    with_header = read_attribute_csv("\ufeffStudent,programme\r\nANA@example.edu,Law\r\n\r\nstudent-5,Biology\r\n",
                                     ROSTER)
    without = read_attribute_csv("ben@example.edu, Band B \n", ROSTER)

    assert with_header == {1: "Law", 5: "Biology"}
    assert without == {2: "Band B"}


def test_each_bad_line_of_an_attribute_csv_is_named_with_what_is_wrong():
    text = ("student,band\n"
            "nobody@example.edu,A\n"  # 2: unknown
            "ana@example.edu,A\n"
            "ana@example.edu,B\n"  # 4: listed twice
            "ben@example.edu,\n"  # 5: empty value
            f"cy@example.edu,{'x' * (MAX_ATTRIBUTE_CHARACTERS + 1)}\n"  # 6: too long
            ",A\n"  # 7: no student
            "dee@example.edu,A,extra\n")  # 8: three columns
    with pytest.raises(InvalidInput) as refusal:
        read_attribute_csv(text, ROSTER)

    problems = refusal.value.problems
    assert sorted(problems) == ["line 2", "line 4", "line 5", "line 6", "line 7", "line 8"]
    assert "no student nobody@example.edu" in str(problems["line 2"])
    assert "already listed on line 3" in str(problems["line 4"])
    assert "value for ben@example.edu is missing" in str(problems["line 5"])
    assert f"at most {MAX_ATTRIBUTE_CHARACTERS} characters" in str(problems["line 6"])
    assert "student is missing" in str(problems["line 7"])
    assert "two columns only" in str(problems["line 8"])


def test_a_value_of_exactly_the_limit_is_accepted():
    assert read_attribute_csv(f"ana@example.edu,{'x' * MAX_ATTRIBUTE_CHARACTERS}\n", ROSTER) == {
        1: "x" * MAX_ATTRIBUTE_CHARACTERS}


@pytest.mark.parametrize("text", ["", "student,band\n", "\n\n"])
def test_an_attribute_csv_that_lists_nobody_is_refused(text):
    with pytest.raises(InvalidInput, match="lists no students"):
        read_attribute_csv(text, ROSTER)
