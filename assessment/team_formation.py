"""Forming teams: made from the roster (at random or balanced by an attribute), or read from an instructor's CSV."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from assessment.csv_input import csv_rows
from assessment.errors import InvalidInput
from assessment.messages import N_

PersonId = TypeVar("PersonId", bound=Hashable)
MAX_TEAM_SIZE = 50
# Letters and digits people read aloud without confusing them (no 0/O, 1/I/L), as pseudonyms use.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 4
MAX_ATTRIBUTE_CHARACTERS = 100
MAX_TEAM_NAME_CHARACTERS = 200  # as the teams table holds them


def team_count(students: int, smallest: int, largest: int) -> int:
    """How many teams `students` make with every team of `smallest` to `largest` members: the fewest possible.

    With t teams dealt in turn, sizes are floor(n/t) and ceil(n/t); the fewest t with ceil(n/t) <= largest
    works exactly when floor(n/t) >= smallest still holds."""
    # A tick box (True == 1) or half a person is not a team size.
    whole = all(isinstance(size, int) and not isinstance(size, bool) for size in (smallest, largest))
    if not (whole and 1 <= smallest <= largest <= MAX_TEAM_SIZE):
        raise InvalidInput({"sizes": N_("Team sizes run from a smallest to a largest size, between 1 and %(max)s.",
                                        max=MAX_TEAM_SIZE)})
    if students == 0:
        raise InvalidInput({"sizes": N_("There are no students in the course yet to put in teams.")})
    count = -(-students // largest)
    if students // count < smallest:
        raise InvalidInput({"sizes": N_(
            "%(students)s students cannot be split into teams of %(smallest)s to %(largest)s members; "
            "widen the sizes.", students=students, smallest=smallest, largest=largest)})
    return count


def form_teams(students: Sequence[PersonId], smallest: int, largest: int, *, seed: int,
               attribute: Mapping[PersonId, str] | None = None) -> list[list[PersonId]]:
    """Every student in exactly one team of `smallest` to `largest` members; sizes differ by at most one.

    Random by default (the same seed gives the same teams, whatever the order of `students`). With `attribute`
    (person -> value, such as a programme or a tutorial group), each value is spread over the teams as evenly as
    the numbers allow: students are dealt in turn to the teams, grouped by value."""
    people = sorted(set(students), key=repr)
    count = team_count(len(people), smallest, largest)
    rng = random.Random(seed)  # noqa: S311 - reproducible teams from a seed, not a secret
    if attribute:
        groups: dict[str, list[PersonId]] = {}
        for person in people:
            groups.setdefault(attribute.get(person, ""), []).append(person)
        order: list[PersonId] = []
        for value in sorted(groups):
            members = groups[value]
            rng.shuffle(members)
            order.extend(members)
    else:
        order = list(people)
        rng.shuffle(order)
    teams: list[list[PersonId]] = [[] for _ in range(count)]
    for index, person in enumerate(order):
        teams[index % count].append(person)
    return teams


def team_code(rng: random.Random) -> str:
    """An anonymous code reviewers know a team by ("T3KQ"), saying nothing of its name or members."""
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class CsvTeam:
    name: str
    members: tuple[Hashable, ...]
    line: int  # where the team is first named


def read_team_csv(text: str, roster: Mapping[str, Hashable]) -> list[CsvTeam]:
    """Teams from a CSV with a `team` column and a `student` column (the student's email or LMS user id).

    `roster` maps each way of naming a student of the course (lower case) to the student. Every problem is
    reported with its line, all at once (InvalidInput, one entry per line): unknown students, a student in two
    teams, a line without a team, empty teams and teams of one."""
    rows = csv_rows(text)
    if not rows:
        raise InvalidInput({"file": N_("The file is empty. Upload a CSV with a team column and a student column.")})
    header = [cell.strip().lower() for cell in rows[0]]
    if "team" not in header or "student" not in header:
        raise InvalidInput({"file": N_(
            "Line 1 must name the columns: team and student (the student's email or LMS user id).")})
    team_column, student_column = header.index("team"), header.index("student")
    problems: dict[str, str] = {}
    members: dict[str, list[Hashable]] = {}
    first_line: dict[str, int] = {}
    lines_of: dict[str, list[int]] = {}  # every line naming each team, bad ones too
    placed: dict[Hashable, tuple[str, int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        team = _cell(row, team_column)
        student = _cell(row, student_column)
        key = f"line {line}"
        if not team:
            problems[key] = N_("Line %(line)s: the team is missing.", line=line)
            continue
        lines_of.setdefault(team, []).append(line)
        if len(team) > MAX_TEAM_NAME_CHARACTERS:
            # Cut to fit, two long names could become one, and the database refuses a team name twice.
            problems[key] = N_("Line %(line)s: keep the team's name to at most %(max)s characters.", line=line,
                               max=MAX_TEAM_NAME_CHARACTERS)
            continue
        if any(unicodedata.category(character) == "Cc" for character in team):
            problems[key] = N_("Line %(line)s: the team's name holds control characters; type it again.", line=line)
            continue
        first_line.setdefault(team, line)
        members.setdefault(team, [])
        if not student:
            continue  # a team named without a student: empty unless other lines fill it (checked below)
        person = roster.get(student.lower())
        if person is None:
            problems[key] = N_("Line %(line)s: no student %(student)s in this course.", line=line, student=student)
        elif person in placed:
            other_team, other_line = placed[person]
            problems[key] = N_("Line %(line)s: %(student)s is already in team %(team)s (line %(first)s); a student "
                               "is in one team only.", line=line, student=student, team=other_team, first=other_line)
        else:
            placed[person] = (team, line)
            members[team].append(person)
    for team, people in members.items():
        line = first_line[team]
        key = f"team {team}"
        # A team short of members because of a bad line is told only that line.
        short_by_a_bad_line = any(f"line {n}" in problems for n in lines_of[team])
        if not people and not short_by_a_bad_line:
            problems[key] = N_("Team %(team)s (line %(line)s) has no members.", team=team, line=line)
        elif len(people) == 1 and not short_by_a_bad_line:
            problems[key] = N_("Team %(team)s (line %(line)s) has only one member; a team needs at least two.",
                               team=team, line=line)
    if problems:
        raise InvalidInput(problems, N_("The teams were not saved: correct the lines below and upload the file again."))
    if not members:
        raise InvalidInput({"file": N_("The file names no teams.")})
    return [CsvTeam(team, tuple(people), first_line[team]) for team, people in members.items()]


def read_attribute_csv(text: str, roster: Mapping[str, PersonId]) -> dict[PersonId, str]:
    """Each listed student's value of an attribute to balance teams by, from a two-column CSV: the student (email or
    LMS user id), then the value (a programme, a prior-grade band...). A first line whose first cell is "student" is
    a header. Students not listed form a group of their own.

    `roster` as for `read_team_csv`. Every problem is reported with its line, all at once (InvalidInput): an unknown
    student, a student listed twice, a line without a value, a value too long, a line of more than two columns."""
    rows = csv_rows(text, "attribute_file")
    start = 2 if rows and _cell(rows[0], 0).lower() == "student" else 1
    problems: dict[str, str] = {}
    values: dict[PersonId, str] = {}
    seen: dict[PersonId, int] = {}
    for line, row in enumerate(rows[start - 1:], start=start):
        if not any(cell.strip() for cell in row):
            continue
        key = f"line {line}"
        student, value = _cell(row, 0), _cell(row, 1)
        person = roster.get(student.lower()) if student else None
        if any(cell.strip() for cell in row[2:]):
            problems[key] = N_("Line %(line)s: give two columns only, the student and the value.", line=line)
        elif not student:
            problems[key] = N_("Line %(line)s: the student is missing.", line=line)
        elif person is None:
            problems[key] = N_("Line %(line)s: no student %(student)s in this course.", line=line, student=student)
        elif person in seen:
            problems[key] = N_("Line %(line)s: %(student)s is already listed on line %(first)s; list each student "
                               "once.", line=line, student=student, first=seen[person])
        else:
            seen[person] = line
            if not value:
                problems[key] = N_("Line %(line)s: the value for %(student)s is missing.", line=line, student=student)
            elif len(value) > MAX_ATTRIBUTE_CHARACTERS:
                problems[key] = N_("Line %(line)s: keep the value to at most %(max)s characters.", line=line,
                                   max=MAX_ATTRIBUTE_CHARACTERS)
            else:
                values[person] = value
    if problems:
        raise InvalidInput(problems, N_("No teams were made: correct the lines below and upload the file again."))
    if not values:
        raise InvalidInput({"attribute_file": N_(
            "The file lists no students. Give one line per student: their email or LMS user id, then the value.")})
    return values


def _cell(row: list[str], column: int) -> str:
    return row[column].strip() if column < len(row) else ""

