"""Messages of the domain: English text that keeps its template and parameters, and the errors that carry them."""

import copy
import pickle
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from assessment.errors import InvalidInput, SettingsLocked
from assessment.messages import N_, Message, display, message_document, message_from_document


def test_a_message_reads_as_its_english_text_and_keeps_its_template_and_parameters():
    message = N_("Reviewer %(number)s of %(total)s", number=2, total=3)
    assert message == "Reviewer 2 of 3"
    assert isinstance(message, str)
    assert (message.template, message.params) == ("Reviewer %(number)s of %(total)s", {"number": 2, "total": 3})


def test_a_message_without_parameters_is_its_template_even_with_a_percent_sign():
    message = N_("100% done")
    assert message == "100% done"
    assert (message.template, message.params) == ("100% done", {})


def test_copies_and_pickles_keep_the_template_and_parameters():
    message = N_("Due on %(when)s", when="Monday")
    for twin in (copy.copy(message), copy.deepcopy(message), pickle.loads(pickle.dumps(message))):  # noqa: S301 (its own bytes)
        assert twin == "Due on Monday"
        assert (twin.template, twin.params) == ("Due on %(when)s", {"when": "Monday"})


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 3, 5, 9, 7, tzinfo=UTC), "5 March 2026 at 09:07 UTC"),
        (datetime(2026, 3, 5, 1, 30, tzinfo=timezone(timedelta(hours=2))), "4 March 2026 at 23:30 UTC"),
        (1234567, "1,234,567"),
        (3.0, "3"),
        (2.5, "2.5"),
        (1234.5678, "1,234.57"),
        (True, "True"),
        ("text", "text"),
        (None, "None"),
    ],
)
def test_parameters_are_shown_as_english_shows_them(value, shown):
    assert display(value) == shown
    assert N_("[%(value)s]", value=value) == f"[{shown}]"


def test_a_message_is_kept_as_a_document_and_read_back_with_messages_inside_it():
    inner = N_("Criterion %(number)s", number=2)
    message = N_("%(what)s needs a title (%(score)s points, %(flag)s, %(when)s).", what=inner, score=2.5, flag=True,
                 when=datetime(2026, 3, 5, 9, 7, tzinfo=UTC))
    document = message_document(message)
    assert document == {
        "template": "%(what)s needs a title (%(score)s points, %(flag)s, %(when)s).",
        "params": {"what": {"template": "Criterion %(number)s", "params": {"number": 2}}, "score": 2.5,
                   "flag": "True", "when": "2026-03-05 09:07:00+00:00"},
    }
    again = message_from_document(document)
    assert isinstance(again, Message)
    assert again.template == message.template
    assert isinstance(again.params["what"], Message)
    assert again.params["what"] == "Criterion 2"
    assert again.startswith("Criterion 2 needs a title (2.5 points, True, ")


def test_plain_text_is_not_a_message_document():
    assert message_document("The platform said no.") is None


@pytest.mark.parametrize("document", [None, "text", {"params": {}}, {"template": 3}, []])
def test_text_stored_without_a_document_is_read_as_it_was_stored(document):
    assert message_from_document(document, "as stored") == "as stored"


def test_a_document_without_parameters_gives_its_template():
    again = message_from_document({"template": "Closed.", "params": "not a mapping"})
    assert (again, again.template, again.params) == ("Closed.", "Closed.", {})


def test_invalid_input_with_one_problem_says_that_problem():
    error = InvalidInput({"title": N_("Give a title.")})
    assert error.message == "Give a title."
    assert str(error) == "Give a title."
    assert error.problems == {"title": "Give a title."}


def test_invalid_input_with_several_problems_asks_to_correct_them_and_keeps_each():
    problems = {"title": N_("Give a title."), "weight": N_("Give a weight.")}
    error = InvalidInput(problems)
    assert error.message == "Some of what was entered needs correcting."
    assert error.problems == problems
    problems.clear()
    assert len(error.problems) == 2


def test_invalid_input_may_carry_its_own_message():
    assert InvalidInput({"a": "x", "b": "y"}, N_("Fix the dates.")).message == "Fix the dates."
    assert InvalidInput({"a": "x"}, N_("Fix the dates.")).message == "Fix the dates."


def test_locked_settings_say_that_nothing_was_saved_and_name_each_field():
    problems = {"k": N_("Reviews are under way.")}
    error = SettingsLocked(problems)
    assert error.message == "Reviewing has started, so some settings can no longer change; nothing was saved."
    assert error.problems == problems
    problems.clear()
    assert error.problems == {"k": "Reviews are under way."}


def test_text_stored_without_a_document_or_text_reads_as_empty():
    assert message_from_document(None) == ""


def test_a_moment_is_shown_in_utc_whatever_the_servers_own_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert display(datetime(2026, 3, 2, 9, 30, tzinfo=UTC)) == "2 March 2026 at 09:30 UTC"
    finally:
        monkeypatch.undo()
        time.tzset()
