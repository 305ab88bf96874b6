"""Creating a peer assessment at a link, and editing its settings with everything validated on save."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select, update

from assessment.models import Assignment
from assessment.phases import Phase
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import Visitor, page_text


def _settings_form(visitor: Visitor) -> dict[str, str | list[str]]:
    """The settings form as the browser would post it, from the page's current values."""
    html = visitor.get("/links/{link}/settings").text
    form: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = re.search(r'value="([^"]*)"', tag)
        if kind in ("checkbox", "radio"):
            if "checked" in tag:
                if kind == "checkbox" and name[1] == "file_types":
                    form.setdefault("file_types", []).append(value[1])  # type: ignore[union-attr]
                else:
                    form[name[1]] = value[1] if value else "y"
        elif tag.startswith("<select"):
            selected = re.search(rf'<select[^>]*name="{name[1]}".*?<option selected value="([^"]*)"', html, re.S)
            form[name[1]] = selected[1] if selected else ""
        elif tag.startswith("<textarea"):
            body = re.search(rf'<textarea[^>]*name="{name[1]}"[^>]*>(.*?)</textarea>', html, re.S)
            form[name[1]] = unescape(body[1].strip()) if body else ""  # as a browser reads it
        else:
            form[name[1]] = value[1] if value else ""
    return form


def _assignment(session) -> Assignment:
    see_committed(session)
    return session.scalars(select(Assignment)).one()


def test_an_instructor_sets_up_a_peer_assessment_at_a_new_link(instructor, session):
    assignment = _assignment(session)

    assert assignment.title == "Essay 1 peer review"
    assert assignment.points_possible == 50
    assert assignment.timezone == "Europe/Paris"
    assert assignment.resource_link_id == instructor.link_id
    assert assignment.phase_at(datetime.now(UTC)) is Phase.SUBMISSION


def test_a_student_meets_a_clear_not_set_up_page_before_that(lms):
    student = Visitor(lms, "student-2")

    assert "Not set up yet" in page_text(student.launch())


def test_saving_the_settings_form_unchanged_keeps_every_value(instructor, session):
    before = _assignment(session).settings
    form = _settings_form(instructor)

    response = instructor.post("/links/{link}/settings", form)

    assert response.status_code == 200 and "Settings saved" in response.text
    assert _assignment(session).settings == before


def test_new_settings_are_saved_with_dates_in_the_assignments_time_zone(instructor, session):
    form = _settings_form(instructor) | {
        "title": "Essay 1, revised", "reviews_per_submission": "4", "anonymity": "open",
        "submission_due": "2031-03-10T17:00", "review_opens": "2031-03-11T09:00",
        "review_due": "2031-03-18T17:00", "results_release": "2031-03-20T09:00",
        "accept_late": "y", "late_until": "2031-03-11T08:00", "late_penalty_per_day": "10",
    }

    instructor.post("/links/{link}/settings", form)

    assignment = _assignment(session)
    assert assignment.title == "Essay 1, revised" and assignment.reviews_per_submission == 4
    assert assignment.submission_due == datetime(2031, 3, 10, 16, 0, tzinfo=UTC)  # 17:00 in Paris
    assert assignment.accept_late and assignment.late_penalty_per_day == 10


@pytest.mark.parametrize(("change", "field_message"), [
    ({"review_opens": "2020-01-01T09:00"}, "Reviewing"),
    ({"points_possible": "-5"}, "Points possible"),
    ({"points_possible": "1e9"}, "Points possible"),
    ({"title": ""}, "title"),
    ({"reviews_per_submission": "0"}, "review"),
    ({"accept_late": "y", "late_until": ""}, "late"),
    ({"timezone": "Mars/Olympus_Mons"}, "zone"),
    ({"submission_weight": "140"}, "weight"),
], ids=["dates out of order", "negative points", "absurd points", "no title", "no reviews",
        "late without a date", "unknown time zone", "weight over 100"])
def test_bad_settings_get_a_clear_message_and_nothing_is_saved(instructor, session, change, field_message):
    before = _assignment(session).settings
    counts = row_counts(session)

    response = instructor.post("/links/{link}/settings", _settings_form(instructor) | change)

    assert response.status_code == 400
    assert 'class="error"' in response.text and field_message.lower() in page_text(response).lower()
    assert _assignment(session).settings == before
    assert row_counts(session) == counts


def test_scripts_in_the_instructions_are_removed_and_formatting_kept(instructor, session):
    hostile = '<p>Write <strong>1000 words</strong>.</p><script>alert(1)</script><img src=x onerror="alert(2)">'

    instructor.post("/links/{link}/settings", _settings_form(instructor) | {"instructions": hostile})

    stored = _assignment(session).instructions_html
    assert "<strong>1000 words</strong>" in stored
    assert "<script" not in stored and "onerror" not in stored


def test_a_hostile_title_is_stored_as_text_and_escaped_on_every_page(instructor, session):
    instructor.post("/links/{link}/settings", _settings_form(instructor) | {"title": "<img src=x onerror=alert(1)>"})

    page = instructor.get("/links/{link}")
    assert _assignment(session).title == "<img src=x onerror=alert(1)>"
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_a_settings_post_without_a_csrf_token_is_refused_and_changes_nothing(instructor, session):
    before = _assignment(session).settings

    response = instructor.post("/links/{link}/settings", _settings_form(instructor) | {"csrf_token": ""})

    assert response.status_code == 400 and "did not come from this tool" in page_text(response)
    assert _assignment(session).settings == before


def test_staff_move_the_phase_by_hand_and_back_to_the_dates(instructor, session):
    instructor.post("/links/{link}/phase", {"phase": "review"})
    assert _assignment(session).phase_at(datetime.now(UTC)) is Phase.REVIEW

    instructor.post("/links/{link}/phase", {"phase": ""})
    assert _assignment(session).phase_override is None


def test_the_overview_tells_the_phase_and_what_comes_next(instructor, session):
    text = page_text(instructor.get("/links/{link}"))

    assert "submission" in text and "review from" in text
    assert "0 of 0 students" in text


def test_a_second_assignment_cannot_be_created_at_the_same_link(instructor, session):
    response = instructor.post("/links/{link}/assignment", {"title": "Again", "points_possible": "10", "timezone": "UTC"})

    assert response.status_code == 403
    assert session.scalars(select(Assignment)).all() == [_assignment(session)]


def test_the_default_dates_give_a_week_to_submit_and_a_week_to_review(instructor, session):
    assignment = _assignment(session)

    assert timedelta(days=6) < assignment.submission_due - assignment.submission_opens < timedelta(days=8)
    assert assignment.review_due - assignment.review_opens == timedelta(days=7)


# --- once reviewing has started, what reviews depend on is locked ------------------------------------------------


def _staff(lms, user: str) -> Visitor:
    visitor = Visitor(lms, user)
    visitor.launch()
    return visitor


@pytest.mark.parametrize("user", ["instructor-1", "ta-1"])
def test_anonymity_cannot_be_relaxed_once_reviewing_has_started(lms, instructor, session, user):
    instructor.post("/links/{link}/phase", {"phase": "review"})  # the dates still say submissions are open
    staff = _staff(lms, user)
    before = _assignment(session).settings

    response = staff.post("/links/{link}/settings", _settings_form(staff) | {"anonymity": "open"})

    assert response.status_code == 409
    assert "only be made stricter" in page_text(response)
    assert _assignment(session).settings == before


@pytest.mark.parametrize("user", ["instructor-1", "ta-1"])
def test_anonymity_can_be_made_stricter_once_reviewing_has_started(lms, instructor, session, user):
    assignment = _assignment(session)
    assignment.anonymity = "open"
    session.commit()
    instructor.post("/links/{link}/phase", {"phase": "released"})
    staff = _staff(lms, user)

    response = staff.post("/links/{link}/settings", _settings_form(staff) | {"anonymity": "double_blind"})

    assert response.status_code == 200 and "Settings saved" in response.text
    assert _assignment(session).anonymity == "double_blind"


@pytest.mark.parametrize(("user", "change"), [
    ("instructor-1", {"reviews_per_submission": "4"}),
    ("ta-1", {"reviews_per_student": "5"}),
    ("instructor-1", {"allocation_mode": "static"}),
    ("ta-1", {"calibration_examples_required": "2"}),
    ("instructor-1", {"calibration_pass_accuracy": "95"}),
    ("ta-1", {"calibration_attempts": "5"}),
    ("instructor-1", {"points_possible": "80"}),
], ids=["k", "reviews per student", "allocation", "calibration examples", "pass mark", "attempts", "points"])
def test_settings_reviews_depend_on_are_locked_once_reviewing_has_started(lms, instructor, session, user, change):
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    staff = _staff(lms, user)
    before = _assignment(session).settings

    response = staff.post("/links/{link}/settings", _settings_form(staff) | change)

    assert response.status_code == 409 and "reviewing has started" in page_text(response).lower()
    assert _assignment(session).settings == before


def test_other_settings_stay_editable_once_reviewing_has_started(instructor, session):
    instructor.post("/links/{link}/phase", {"phase": "review"})

    response = instructor.post("/links/{link}/settings", _settings_form(instructor) | {"title": "Essay 1 (final)"})

    assert response.status_code == 200 and _assignment(session).title == "Essay 1 (final)"


def test_the_settings_page_says_beside_each_locked_field_why_it_is_locked(instructor, session):
    assert 'class="lock"' not in instructor.get("/links/{link}/settings").text
    instructor.post("/links/{link}/phase", {"phase": "review"})

    html = instructor.get("/links/{link}/settings").text

    for name in ("anonymity", "reviews_per_submission", "reviews_per_student", "allocation_mode",
                 "calibration_examples_required", "calibration_pass_accuracy", "calibration_attempts"):
        assert f'id="{name}-lock"' in html, name
    assert "only be made stricter" in html


def test_moving_the_phase_back_by_hand_does_not_unlock_anonymity_once_reviews_were_handed_out(class_in_review,
                                                                                               instructor, session):
    class_in_review["student-1"].post("/links/{link}/reviews/next", {})
    instructor.post("/links/{link}/phase", {"phase": "submission"})

    response = instructor.post("/links/{link}/settings", _settings_form(instructor) | {"anonymity": "open"})

    assert response.status_code == 409 and _assignment(session).anonymity == "double_blind"


def test_reviewers_may_download_the_file_until_staff_turn_it_off_in_the_settings(instructor, session):
    form = _settings_form(instructor)
    assert form.get("reviewers_may_download") == "y" and _assignment(session).reviewers_may_download

    del form["reviewers_may_download"]  # an unticked box is not posted
    response = instructor.post("/links/{link}/settings", form)

    assert response.status_code == 200 and "Settings saved" in response.text
    assert not _assignment(session).reviewers_may_download
    assert "reviewers_may_download" not in _settings_form(instructor)


@pytest.mark.parametrize("user", ["instructor-1", "ta-1"])
def test_reviewers_downloading_can_be_turned_off_but_not_on_once_reviewing_has_started(lms, instructor, session, user):
    instructor.post("/links/{link}/phase", {"phase": "review"})
    staff = _staff(lms, user)
    off = {name: value for name, value in _settings_form(staff).items() if name != "reviewers_may_download"}

    turned_off = staff.post("/links/{link}/settings", off)
    assert turned_off.status_code == 200 and not _assignment(session).reviewers_may_download
    page = page_text(staff.get("/links/{link}/settings"))
    turned_on = staff.post("/links/{link}/settings", _settings_form(staff) | {"reviewers_may_download": "y"})

    assert "can only be turned off" in page
    assert turned_on.status_code == 409 and "can only be turned off" in page_text(turned_on)
    assert not _assignment(session).reviewers_may_download


def test_the_settings_say_a_trimmed_mean_of_three_reviews_is_the_plain_mean(instructor):
    text = page_text(instructor.get("/links/{link}/settings"))

    assert "only for work with 4 or more reviews" in text and "3 or fewer, it is the mean" in text


def _zone_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="timezone".*?</select>', html, re.S)[0]
    return re.findall(r'<option[^>]*value="([^"]+)"', select)


def test_the_time_zone_list_puts_the_zone_in_use_and_the_lms_locales_country_first_and_holds_no_junk(lms, instructor):
    instructor.launch(locale="en-IN")

    zones = _zone_options(instructor.get("/links/{link}/settings").text)

    assert zones[:3] == ["Europe/Paris", "Asia/Kolkata", "UTC"]
    assert not {"Factory", "localtime", "posixrules", "Etc/GMT+5", "US/Eastern"} & set(zones)
    assert len(zones) < 450


def test_a_technical_time_zone_is_refused_with_the_form(instructor, session):
    form = _settings_form(instructor) | {"timezone": "Factory"}

    response = instructor.post("/links/{link}/settings", form)

    assert response.status_code == 400 and "Not a valid choice" in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().timezone == "Europe/Paris"


MARKDOWN = "Write **1000 words**.\n\n- a claim\n- evidence"


def test_instructions_written_in_markdown_reach_students_formatted_and_reopen_as_markdown(lms, instructor, session):
    response = instructor.post("/links/{link}/settings", _settings_form(instructor)
                               | {"instructions_format": "markdown", "instructions": MARKDOWN})

    assert response.status_code == 200
    assignment = _assignment(session)
    assert assignment.instructions_markdown == MARKDOWN
    assert "<strong>1000 words</strong>" in assignment.instructions_html
    assert "<li>a claim</li>" in assignment.instructions_html
    student = Visitor(lms, "student-1")
    student.launch()
    assert "<strong>1000 words</strong>" in student.get("/links/{link}").text
    form = _settings_form(instructor)
    assert form["instructions_format"] == "markdown" and form["instructions"] == MARKDOWN


def test_the_preview_shows_the_instructions_as_students_will_see_them_and_saves_nothing(instructor, session):
    before = _assignment(session).settings

    response = instructor.post("/links/{link}/settings", _settings_form(instructor)
                               | {"instructions_format": "markdown", "instructions": MARKDOWN, "preview": "1"})

    preview = re.search(r'<div[^>]*id="instructions-preview"[^>]*>(.*?)</div>', response.text, re.S)
    assert response.status_code == 200 and preview
    assert "<strong>1000 words</strong>" in preview[1] and "<li>a claim</li>" in preview[1]
    assert MARKDOWN.split("\n")[0] in response.text  # the form keeps what was typed
    assert _assignment(session).settings == before


def test_instructions_written_in_html_before_markdown_keep_working(lms, instructor, session):
    session.execute(update(Assignment).values(instructions_html="<p>Read <em>chapter 2</em> first.</p>"))
    session.commit()

    form = _settings_form(instructor)
    instructor.post("/links/{link}/settings", form)

    assert form["instructions_format"] == "html"
    assert _assignment(session).instructions_html == "<p>Read <em>chapter 2</em> first.</p>"
    student = Visitor(lms, "student-1")
    student.launch()
    assert "<em>chapter 2</em>" in student.get("/links/{link}").text


def test_saving_from_an_older_tab_after_another_tab_saved_is_refused_keeping_both_and_can_then_be_saved(instructor,
                                                                                                         session):
    older_tab = _settings_form(instructor)
    newer_tab = _settings_form(instructor)
    assert instructor.post("/links/{link}/settings", newer_tab | {"reviews_per_student": "4"}).status_code == 200

    refused = instructor.post("/links/{link}/settings", older_tab | {"title": "Essay 1, second draft"})

    assert refused.status_code == 409
    assert ("These settings were saved in another tab or by someone else since you opened this page, so yours "
            "were not saved.") in page_text(refused)
    saved = _assignment(session)
    assert (saved.title, saved.reviews_per_student) == ("Essay 1 peer review", 4)
    # The page keeps what was typed, now checked against the saved settings: saving it again is a decision.
    assert 'value="Essay 1, second draft"' in refused.text
    again = {**older_tab, "title": "Essay 1, second draft",
             "settings_seen": re.search(r'name="settings_seen"[^>]*value="([^"]+)"', refused.text)[1]}
    assert instructor.post("/links/{link}/settings", again).status_code == 200
    saved = _assignment(session)
    assert (saved.title, saved.reviews_per_student) == ("Essay 1, second draft", 3)


def test_saving_twice_from_the_same_tab_is_not_called_a_conflict(instructor, session):
    form = _settings_form(instructor)

    assert instructor.post("/links/{link}/settings", form | {"title": "Essay 1, again"}).status_code == 200
    resent = instructor.post("/links/{link}/settings", form | {"title": "Essay 1, again"})

    assert resent.status_code == 200 and "Settings saved" in resent.text
