"""Hostile and careless requests to the team, extension and grading pages: odd files, odd numbers, stale forms and
posts after the phase moved each get a page a person can act on, and nothing is lost or doubled."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select, update

from assessment.models import (
    Assignment,
    Course,
    Extension,
    Grade,
    Person,
    ResourceLink,
    Review,
    ReviewStatus,
    Team,
)
from tests.support.rows import see_committed
from tests.support.tokens import CLAIM, genuine_launch, sign_token
from tests.support.visitor import Visitor, launched, page_text
from tests.web.conftest import RANGE, review_everything
from tests.web.test_assignment_settings import _settings_form

STUDENTS = ("student-1", "student-2", "student-3", "student-4")
# A cell longer than Python's csv module reads by default (131,072 characters), in a file under the upload limit.
HUGE_CELL = "x" * 200_000


@pytest.fixture
def students(lms, instructor, session) -> dict[str, Visitor]:
    visitors = launched(lms, STUDENTS)
    return visitors


def _team_assignment(session) -> None:
    session.execute(update(Assignment).values(team_assignment=True))
    session.commit()


def _file(visitor: Visitor, path: str, field: str, data: bytes, form: dict | None = None):
    return visitor.post(path, form or {}, files={field: ("list.csv", data, "text/csv")})


@pytest.mark.parametrize(("path", "field", "form", "text"), [
    ("/links/{link}/teams/import", "file", None, f"team,student\nRed,{HUGE_CELL}\n"),
    ("/links/{link}/teams/make", "attribute_file", {"smallest": "2", "largest": "2"}, f"student-1,{HUGE_CELL}\n"),
    ("/links/{link}/extensions/import", "file", None,
     f"student,step,extra_hours,reason\nstudent-1,submission,24,{HUGE_CELL}\n"),
])
def test_a_csv_with_a_cell_too_long_to_read_is_refused_with_a_message_and_saves_nothing(
        instructor, students, session, path, field, form, text):
    _team_assignment(session)

    response = _file(instructor, path, field, text.encode(), form)

    assert response.status_code == 400, response.status_code
    assert "could not be read as CSV" in page_text(response)
    assert see_committed(session).scalars(select(Team)).all() == []
    assert see_committed(session).scalars(select(Extension)).all() == []


def test_an_extensions_csv_saved_by_a_spreadsheet_with_a_bom_crlf_and_capitalised_header_is_accepted(
        instructor, students, session):
    text = ("\ufeffStudent, Step ,Extra_Hours,Reason\r\nstudent-1,submission,24,Illness\r\n\r\n"
            "student-2,Review,12,Bereavement\r\n")

    response = _file(instructor, "/links/{link}/extensions/import", "file", text.encode())

    assert response.status_code == 200 and "2 extensions given." in page_text(response)
    given = see_committed(session).scalars(select(Extension).order_by(Extension.id)).all()
    assert [(extension.step.value, extension.extra_minutes, extension.reason) for extension in given] == [
        ("submission", 24 * 60, "Illness"), ("review", 12 * 60, "Bereavement")]


def test_an_extensions_csv_names_the_true_line_after_a_blank_one(instructor, students, session):
    text = "student,step,extra_hours,reason\n\nnobody@example.edu,submission,24,Illness\n"

    response = _file(instructor, "/links/{link}/extensions/import", "file", text.encode())

    assert response.status_code == 400
    assert "Line 3: “nobody@example.edu” is not a student of this course." in page_text(response)


def test_an_extensions_csv_listing_a_student_and_step_twice_is_refused_naming_both_lines(instructor, students,
                                                                                        session):
    text = ("student,step,extra_hours,reason\nstudent-1,submission,24,Illness\nstudent-2,submission,24,Illness\n"
            "student-1,submission,48,Still ill\nstudent-1,review,1,Still ill\n")

    response = _file(instructor, "/links/{link}/extensions/import", "file", text.encode())

    assert response.status_code == 400
    assert ("Line 4: this student's submission already has an extension on line 2; keep one line."
            in page_text(response))
    assert "Line 5" not in page_text(response), page_text(response)
    assert see_committed(session).scalars(select(Extension)).all() == []


@pytest.mark.parametrize(("path", "field", "form"), [
    ("/links/{link}/teams/import", "file", None),
    ("/links/{link}/teams/make", "attribute_file", {"smallest": "2", "largest": "2"}),
    ("/links/{link}/extensions/import", "file", None),
])
@pytest.mark.parametrize("data", ["student,step\nstudent-1,é\n".encode("utf-16"), "Zoë,é\n".encode("latin-1")])
def test_a_csv_in_utf16_or_latin1_is_refused_asking_for_csv_utf8(instructor, students, session, path, field, form,
                                                                  data):
    _team_assignment(session)

    response = _file(instructor, path, field, data, form)

    assert response.status_code == 400 and "CSV UTF-8" in page_text(response)
    assert see_committed(session).scalars(select(Team)).all() == []


@pytest.mark.parametrize(("path", "field", "form"), [
    ("/links/{link}/teams/import", "file", None),
    ("/links/{link}/teams/make", "attribute_file", {"smallest": "2", "largest": "2"}),
    ("/links/{link}/extensions/import", "file", None),
])
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"team,student\r\n", b"student,step,extra_hours,reason\n"])
def test_an_empty_or_header_only_csv_is_refused_with_a_message(instructor, students, session, path, field, form, data):
    _team_assignment(session)

    response = _file(instructor, path, field, data, form)

    assert response.status_code == 400, page_text(response)[:300]
    assert "Internal" not in page_text(response)
    assert see_committed(session).scalars(select(Team)).all() == []
    assert see_committed(session).scalars(select(Extension)).all() == []


# Python's decimal module reads "sNaN" (a signalling not-a-number) and fails when it is compared: every number field.
@pytest.mark.parametrize("value", ["sNaN", "-sNaN", "sNaN123"])
def test_a_signalling_nan_in_an_extensions_hours_is_refused_beside_the_field(instructor, students, session, value):
    person = see_committed(session).scalar(select(Person.id).where(Person.subject == "student-1"))

    response = instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "submission",
                                                            "extra_hours": value, "reason": "Illness"})

    assert response.status_code == 400 and "Not a valid decimal value." in page_text(response)
    assert see_committed(session).scalars(select(Extension)).all() == []


@pytest.mark.parametrize("field", ["weight", "cap", "non_rater_penalty", "non_rater_factor"])
def test_a_signalling_nan_in_a_teammate_evaluation_setting_is_refused_and_nothing_changes(instructor, students,
                                                                                         session, field):
    _team_assignment(session)
    form = {"enabled": "y", "criteria": "Effort", "low": "1", "high": "5", "weight": "100", "cap": "",
            "non_rater": "factor" if field == "non_rater_factor" else "penalty", "non_rater_penalty": "0",
            "non_rater_factor": "1"}

    response = instructor.post("/links/{link}/teammate-evaluation", form | {field: "sNaN"})

    assert response.status_code == 400 and "Not a valid decimal value." in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().teammate_evaluation_document is None


@pytest.mark.parametrize("field", ["weight", "range_low", "range_high"])
def test_a_signalling_nan_in_a_rubric_criterion_is_refused_and_adds_no_criterion(instructor, session, field):
    response = instructor.post("/links/{link}/rubric/criteria", RANGE | {field: "sNaN"})

    assert response.status_code == 400 and "Not a valid decimal value." in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().rubric is None


@pytest.mark.parametrize("field", ["points_possible", "late_penalty_per_day", "submission_weight",
                                   "bonus_review_points"])
def test_a_signalling_nan_in_a_setting_is_refused_and_nothing_changes(instructor, session, field):
    before = see_committed(session).scalars(select(Assignment)).one().points_possible

    response = instructor.post("/links/{link}/settings", _settings_form(instructor) | {field: "sNaN"})

    assert response.status_code == 400 and "Not a valid decimal value." in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().points_possible == before


# Ids are 32-bit in the database: a larger one in an address or a form is no row of the tool, not a database error.
TOO_BIG = str(2**64)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/links/{link}/extensions/{id}/withdraw"),
    ("GET", "/links/{link}/reviews/{id}"),
    ("POST", "/links/{link}/reviews/{id}"),
    ("GET", "/links/{link}/files/{id}"),
    ("GET", "/links/{link}/students/{id}/work"),
    ("POST", "/links/{link}/grades/{id}/override"),
    ("POST", "/links/{link}/teams/grades/{id}/factor"),
    ("POST", "/links/{link}/flags/{id}/resolve"),
    ("GET", "/links/{link}/hand-ins/{id}/status"),
    ("POST", "/links/{link}/feedback/{id}/rating"),
    ("POST", "/links/{link}/grades/postings/{id}/retry"),
    ("POST", "/links/{link}/allocation/reviews/{id}/remove"),
    ("POST", "/links/{link}/submissions/{id}/staff-review"),
])
def test_an_id_in_the_address_beyond_what_the_database_holds_is_not_found(instructor, method, path):
    address = path.replace("{id}", TOO_BIG)

    response = instructor.get(address) if method == "GET" else instructor.post(address, {"reason": "x"})

    assert response.status_code == 404, (address, response.status_code)
    assert instructor.get(path.replace("{id}", str(2**31 - 1))).status_code in (404, 405)


@pytest.mark.parametrize(("path", "form"), [
    ("/links/{link}/teams/move", {"person": TOO_BIG, "team": "1"}),
    ("/links/{link}/teams/move", {"person": "1", "team": TOO_BIG}),
    ("/links/{link}/allocation/assign", {"reviewer": TOO_BIG, "submission": "1"}),
    ("/links/{link}/allocation/assign", {"reviewer": "1", "submission": "-" + TOO_BIG}),
])
def test_an_id_in_a_staff_form_beyond_what_the_database_holds_is_refused_with_a_message(instructor, students,
                                                                                       session, path, form):
    _team_assignment(session)

    response = instructor.post(path, form)

    assert 400 <= response.status_code < 500, response.status_code
    assert "Internal" not in page_text(response)



def test_a_team_csv_with_a_name_over_200_characters_or_control_characters_is_refused_naming_the_lines(
        instructor, students, session):
    _team_assignment(session)
    long_name = "T" * 200
    text = (f"team,student\n{long_name}A,student-1\n{long_name}A,student-2\n{long_name}B,student-3\n"
            f"{long_name}B,student-4\n")

    too_long = _file(instructor, "/links/{link}/teams/import", "file", text.encode())
    controls = _file(instructor, "/links/{link}/teams/import", "file",
                     b"team,student\nRed\x00,student-1\nRed\x00,student-2\nBlue\x1b,student-3\nBlue\x1b,student-4\n")

    assert too_long.status_code == 400, too_long.status_code
    assert "Line 2: keep the team's name to at most 200 characters." in page_text(too_long)
    assert "Line 4: keep the team's name to at most 200 characters." in page_text(too_long)
    assert controls.status_code == 400, controls.status_code
    assert "Line 2: the team's name holds control characters; type it again." in page_text(controls)
    assert see_committed(session).scalars(select(Team)).all() == []


def test_a_team_csv_with_a_name_of_exactly_200_characters_is_accepted(instructor, students, session):
    _team_assignment(session)
    name = "T" * 200

    response = _file(instructor, "/links/{link}/teams/import", "file",
                     f"team,student\n{name},student-1\n{name},student-2\n".encode())

    assert response.status_code == 200, response.status_code
    assert [team.name for team in see_committed(session).scalars(select(Team))] == [name]


def test_a_launch_whose_names_and_titles_hold_control_characters_or_run_long_lands_with_them_cleaned(
        lms, instructor, session):
    pending, claims, header = genuine_launch(lms, "student-1")
    claims |= {"name": "Amara\x00 Okafor\x1b", "given_name": "Am\x00ara", "family_name": "Oka\x07for",
               "email": "amara.okafor@example.edu\x00"}
    claims[CLAIM + "context"] |= {"label": "L\x00" + "l" * 300, "title": "C\x00" + "c" * 2000}
    claims[CLAIM + "resource_link"] |= {"title": "T\x00" + "t" * 2000, "description": "D\x00" + "d" * 5000}

    landing = pending.post(id_token=sign_token(lms, claims, header))

    assert landing.status_code == 200, landing.status_code
    person = see_committed(session).scalars(select(Person).where(Person.subject == "student-1")).one()
    assert (person.name, person.given_name, person.family_name, person.email) == (
        "Amara Okafor", "Amara", "Okafor", "amara.okafor@example.edu")
    course = see_committed(session).scalars(select(Course)).one()
    assert (course.label, course.title) == ("L" + "l" * 254, "C" + "c" * 1023)
    link = see_committed(session).scalars(select(ResourceLink)).one()
    assert (link.title, link.description) == ("T" + "t" * 1023, "D" + "d" * 4095)


@pytest.mark.parametrize(("hours", "status", "minutes"), [("0.0001", 400, []), ("0.008", 400, []),
                                                           ("0.0084", 200, [1]), ("0.0167", 200, [1])])
def test_extra_time_kept_as_no_whole_minute_is_refused_and_one_minute_is_kept(instructor, students, session, hours,
                                                                              status, minutes):
    person = see_committed(session).scalar(select(Person.id).where(Person.subject == "student-1"))

    response = instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "submission",
                                                            "extra_hours": hours, "reason": "Illness"})

    assert response.status_code == status
    assert see_committed(session).scalars(select(Extension.extra_minutes)).all() == minutes
    if status == 400:
        assert "Extra time must be more than nothing." in page_text(response)


@pytest.mark.parametrize(("path", "field", "form"), [
    ("/links/{link}/teams/import", "file", None),
    ("/links/{link}/teams/make", "attribute_file", {"smallest": "2", "largest": "2"}),
    ("/links/{link}/extensions/import", "file", None),
])
def test_a_csv_over_a_megabyte_is_refused_with_a_message_and_saves_nothing(instructor, students, session, path,
                                                                         field, form):
    _team_assignment(session)
    data = b"team,student\n" + b"Red,student-1\n" * (1024 * 1024 // 14 + 1)

    response = _file(instructor, path, field, data, form)

    assert response.status_code in (400, 413), response.status_code
    assert "Internal" not in page_text(response) and "MB" in page_text(response)
    assert see_committed(session).scalars(select(Team)).all() == []
    assert see_committed(session).scalars(select(Extension)).all() == []


def _review_form(class_in_review, session):
    reviewer = class_in_review["student-1"]
    page = reviewer.post("/links/{link}/reviews/next")
    review_id = int(re.search(r"/reviews/(\d+)$", page.url)[1])
    version = re.search(r'name="version" value="(\d+)"', page.text)[1]
    argument, style = (c.key for c in see_committed(session).scalars(select(Assignment)).one().rubric.criteria)
    form = {f"score-{argument}": "4", f"score-{style}": "8", f"comment-{style}": "Vary the sentence length.",
            "version": version}
    return reviewer, review_id, form


@pytest.mark.parametrize("action", ["submit", "draft"])
def test_a_review_sent_twice_from_the_same_form_a_double_click_is_saved_once_and_not_called_a_conflict(
        class_in_review, session, action):
    reviewer, review_id, form = _review_form(class_in_review, session)

    first = reviewer.post(f"/links/{{link}}/reviews/{review_id}", form | {"action": action})
    second = reviewer.post(f"/links/{{link}}/reviews/{review_id}", form | {"action": action})

    assert first.status_code == second.status_code == 200
    said = "Review submitted. Thank you!" if action == "submit" else "Draft saved."
    assert said in page_text(second) and "your changes were not saved" not in page_text(second)
    review = see_committed(session).get(Review, review_id)
    assert review.version == int(form["version"]) + 1
    assert (review.status.value, review.comments) == (
        "submitted" if action == "submit" else "assigned", {k.removeprefix("comment-"): v for k, v in form.items()
                                                           if k.startswith("comment-")})


def test_a_second_tab_sending_different_scores_from_an_old_form_is_still_a_conflict(class_in_review, session):
    reviewer, review_id, form = _review_form(class_in_review, session)
    reviewer.post(f"/links/{{link}}/reviews/{review_id}", form | {"action": "draft"})
    other = {key: ("2" if key.startswith("score-") and value == "4" else value) for key, value in form.items()}

    stale = reviewer.post(f"/links/{{link}}/reviews/{review_id}", other | {"action": "submit"})
    same_but_submitting = reviewer.post(f"/links/{{link}}/reviews/{review_id}", form | {"action": "submit"})

    assert stale.status_code == 409 and "your changes were not saved" in page_text(stale)
    assert same_but_submitting.status_code == 409
    review = see_committed(session).get(Review, review_id)
    assert review.status.value == "assigned" and 4.0 in review.selections.values()


def test_team_names_written_as_formulas_in_the_teams_file_stay_text_in_the_teams_export(instructor, students,
                                                                                       session):
    _team_assignment(session)
    text = ("team,student\n=cmd|' /C calc'!A0,student-1\n=cmd|' /C calc'!A0,student-2\n+Blue,student-3\n"
            "+Blue,student-4\n")
    assert _file(instructor, "/links/{link}/teams/import", "file", text.encode()).status_code == 200

    export = instructor.get("/links/{link}/export/teams.csv")

    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted({row[0] for row in rows[1:]}) == ["'+Blue", "'=cmd|' /C calc'!A0"]


def test_an_extensions_csv_with_a_reason_over_500_characters_is_refused_and_one_of_500_is_kept_whole(
        instructor, students, session):
    header = "student,step,extra_hours,reason\n"

    refused = _file(instructor, "/links/{link}/extensions/import", "file",
                    f"{header}student-1,submission,24,{'r' * 501}\n".encode())
    kept = _file(instructor, "/links/{link}/extensions/import", "file",
                 f"{header}student-1,submission,24,{'r' * 500}\n".encode())

    assert refused.status_code == 400
    assert "Line 2: Keep the reason to at most 500 characters." in page_text(refused)
    assert kept.status_code == 200
    assert see_committed(session).scalars(select(Extension.reason)).all() == ["r" * 500]


def test_a_grade_override_with_a_reason_over_2000_characters_is_refused_and_one_of_2000_is_kept_whole(
        instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    target = see_committed(session).scalars(select(Grade)).first()

    refused = instructor.post(f"/links/{{link}}/grades/{target.person_id}/override",
                              {"total": "45", "reason": "r" * 2001})
    kept = instructor.post(f"/links/{{link}}/grades/{target.person_id}/override", {"total": "45", "reason": "r" * 2000})

    assert refused.status_code == 400
    assert "Keep the reason to at most 2,000 characters; nothing was saved." in page_text(refused)
    assert kept.status_code == 200
    assert see_committed(session).get(Grade, target.id).override_reason == "r" * 2000


def test_the_same_draft_sent_again_after_the_lease_ran_out_is_not_said_to_be_saved(class_in_review, session):
    reviewer, review_id, form = _review_form(class_in_review, session)
    reviewer.post(f"/links/{{link}}/reviews/{review_id}", form | {"action": "draft"})
    session.execute(update(Review).where(Review.id == review_id).values(status=ReviewStatus.EXPIRED,
                                                                        version=Review.version + 1))
    session.commit()

    again = reviewer.post(f"/links/{{link}}/reviews/{review_id}", form | {"action": "draft"})

    assert again.status_code in (404, 409) and "Draft saved." not in page_text(again)
    assert see_committed(session).get(Review, review_id).status is ReviewStatus.EXPIRED
