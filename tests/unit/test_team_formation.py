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
def _refusal(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as refusal:
        call(*args, **kwargs)
    return refusal.value


@pytest.mark.parametrize(("students", "smallest", "largest", "teams"), [(3, 1, 1, 3), (4, 1, 2, 2), (50, 50, 50, 1)])
def test_sizes_from_1_to_50_are_accepted(students, smallest, largest, teams):
    assert team_count(students, smallest, largest) == teams


@pytest.mark.parametrize(("smallest", "largest"), [(0, 3), (2, 51), (51, 51), (4, 3)])
def test_sizes_outside_1_to_50_are_refused_with_the_limits(smallest, largest):
    refusal = _refusal(team_count, 60, smallest, largest)
    assert refusal.problems == {"sizes": "Team sizes run from a smallest to a largest size, between 1 and 50."}
    assert refusal.problems["sizes"].params == {"max": 50}


def test_a_class_without_students_or_that_the_sizes_cannot_split_is_told_so():
    assert _refusal(team_count, 0, 2, 3).problems == {
        "sizes": "There are no students in the course yet to put in teams."}
    refusal = _refusal(team_count, 5, 3, 4)
    assert refusal.problems == {"sizes": "5 students cannot be split into teams of 3 to 4 members; widen the sizes."}
    assert refusal.problems["sizes"].params == {"students": 5, "smallest": 3, "largest": 4}


def test_students_of_any_kind_of_id_are_formed_into_teams():
    teams = form_teams([1, "b", 2.5, ("c",)], 2, 2, seed=1)
    assert sorted(map(repr, (person for team in teams for person in team))) == ["'b'", "('c',)", "1", "2.5"]


def test_students_without_a_value_of_the_attribute_are_dealt_first_as_a_group_of_their_own():
    # Dealt in turn to 4 teams: the two without a value, then Law's three, then Maths' three.
    programme = {"c": "Law", "d": "Law", "e": "Law", "f": "Maths", "g": "Maths", "h": "Maths"}
    teams = form_teams(list("abcdefgh"), 2, 2, seed=5, attribute=programme)
    assert [sorted(programme.get(person, "") for person in team) for team in teams] == [
        ["", "Law"], ["", "Maths"], ["Law", "Maths"], ["Law", "Maths"]]


def test_a_csv_teams_line_is_where_it_is_first_named():
    teams = read_team_csv("team,student\nRed,ana@example.edu\nBlue,cy@example.edu\nRed,ben@example.edu\n"
                          "Blue,dee@example.edu\n", ROSTER)
    assert [(team.name, team.members, team.line) for team in teams] == [("Red", (1, 2), 2), ("Blue", (3, 4), 3)]


def test_a_short_line_has_an_empty_student():
    refusal = _refusal(read_team_csv, "team,student\nRed\nBlue,ana@example.edu\nBlue,ben@example.edu\n", ROSTER)
    assert refusal.problems == {"team Red": "Team Red (line 2) has no members."}


def test_checking_goes_on_after_a_blank_line_a_line_without_a_team_and_a_team_without_a_student():
    text = ("team,student\n"
            ",ana@example.edu\n"              # line 2: no team
            "Red,\n"                          # line 3: a team named without a student, filled below
            "\n"                              # line 4: blank
            "Red,ben@example.edu\n"
            "Red,nobody@example.edu\n")       # line 6: unknown
    refusal = _refusal(read_team_csv, text, ROSTER)
    assert refusal.problems == {"line 2": "Line 2: the team is missing.",
                                "line 6": "Line 6: no student nobody@example.edu in this course."}
    assert refusal.message == "The teams were not saved: correct the lines below and upload the file again."
    assert refusal.message.template == refusal.message


def test_a_team_left_with_one_member_by_a_bad_line_is_told_only_the_bad_line():
    refusal = _refusal(read_team_csv, "team,student\nSolo,cy@example.edu\nSolo,nobody@example.edu\n", ROSTER)
    assert refusal.problems == {"line 3": "Line 3: no student nobody@example.edu in this course."}


@pytest.mark.parametrize(("text", "problem"), [
    ("", "The file is empty. Upload a CSV with a team column and a student column."),
    ("team,name\nRed,ana@example.edu\n", "Line 1 must name the columns: team and student (the student's email or LMS "
                                          "user id)."),
    ("name,student\nRed,ana@example.edu\n", "Line 1 must name the columns: team and student (the student's email or "
                                             "LMS user id)."),
    # Only a byte-order mark is taken off the start: a column called XTeam is not the team column.
    ("XTeam,student\nRed,ana@example.edu\n", "Line 1 must name the columns: team and student (the student's email or "
                                              "LMS user id)."),
    ("team,student\n\n", "The file names no teams."),
])
def test_a_csv_without_the_columns_or_without_teams_is_told_what_to_upload(text, problem):
    refusal = _refusal(read_team_csv, text, ROSTER)
    assert refusal.problems == {"file": problem}
    assert refusal.problems["file"].template == problem


@pytest.mark.parametrize(("smallest", "largest"), [(True, 3), (2, True), (2.5, 3), (2, 3.5), (2, float("nan")),
                                                   (2, float("inf"))])
def test_sizes_that_are_not_whole_numbers_are_refused_with_the_limits(smallest, largest):
    refusal = _refusal(team_count, 6, smallest, largest)
    assert refusal.problems == {"sizes": "Team sizes run from a smallest to a largest size, between 1 and 50."}
    assert team_count(6, 2, 3) == 2


def test_a_file_of_thousands_of_one_member_teams_is_refused_naming_each_team():
    # Columns swapped or a roster uploaded by mistake: every line its own team. Reading takes one pass over the lines
    # (it held the assignment's lock, and hand-ins with it, for minutes when each team looked at every line again).
    text = "team,student\n" + "".join(f"T{n},s{n}@example.edu\n" for n in range(20_000))
    roster = {f"s{n}@example.edu": n for n in range(20_000)}
    with pytest.raises(InvalidInput) as refused:
        read_team_csv(text, roster)
    assert len(refused.value.problems) == 20_000
    assert refused.value.problems["team T1"] == "Team T1 (line 3) has only one member; a team needs at least two."


def test_each_bad_line_of_an_attribute_csv_is_refused_in_full_words_with_its_numbers():
    text = ("student,band\n"
            "nobody@example.edu,A\n"
            "ana@example.edu,A\n"
            "ana@example.edu,B\n"
            "ben@example.edu,\n"
            f"cy@example.edu,{'x' * (MAX_ATTRIBUTE_CHARACTERS + 1)}\n"
            ",A\n"
            "dee@example.edu,A,extra\n")
    refusal = _refusal(read_attribute_csv, text, ROSTER)

    assert refusal.problems == {
        "line 2": "Line 2: no student nobody@example.edu in this course.",
        "line 4": "Line 4: ana@example.edu is already listed on line 3; list each student once.",
        "line 5": "Line 5: the value for ben@example.edu is missing.",
        "line 6": f"Line 6: keep the value to at most {MAX_ATTRIBUTE_CHARACTERS} characters.",
        "line 7": "Line 7: the student is missing.",
        "line 8": "Line 8: give two columns only, the student and the value.",
    }
    assert refusal.problems["line 4"].params == {"line": 4, "student": "ana@example.edu", "first": 3}
    assert refusal.problems["line 6"].params == {"line": 6, "max": MAX_ATTRIBUTE_CHARACTERS}
    assert str(refusal) == "No teams were made: correct the lines below and upload the file again."


@pytest.mark.parametrize("text", ["", "student,band\n"])
def test_an_attribute_csv_that_lists_nobody_is_refused_on_the_file_field_saying_what_to_give(text):
    assert _refusal(read_attribute_csv, text, ROSTER).problems == {"attribute_file": (
        "The file lists no students. Give one line per student: their email or LMS user id, then the value.")}


def test_a_first_student_whose_id_starts_with_a_capital_x_keeps_it():
    assert read_attribute_csv("\ufeffXENA@example.edu,Law\n", {"xena@example.edu": 9}) == {9: "Law"}
