"""Languages: complete catalogues, and dates, numbers and the domain's messages in the reader's language."""

from __future__ import annotations

import copy
import pickle
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_babel import force_locale

from assessment.errors import InvalidInput, PhaseClosed
from assessment.grading import LatePolicy, SubmissionWindow
from assessment.messages import N_
from assessment.rubric import Rubric
from lti_tool.i18n import init_i18n, launch_locale, locale_region, select_locale, supported_locale, translate
from lti_tool.templating import file_size, floor_percent, local_time, points, stored_message
from tests.support.catalogues import compile_catalogues, extract_messages, read_catalogue

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


@pytest.fixture(scope="module")
def code_messages(tmp_path_factory):
    return extract_messages(tmp_path_factory.mktemp("extracted"))


@pytest.fixture
def app():
    compile_catalogues()
    app = Flask("lti_tool")  # the package's root, so its translations/ folder is the one read
    app.config["SECRET_KEY"] = "test"
    init_i18n(app)
    with app.test_request_context():
        yield app


def forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", ["en", "hi"])
def test_every_string_in_the_code_has_a_translation(code_messages, language):
    catalogue = read_catalogue(language)
    missing, fuzzy = [], []
    for message in code_messages:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        if entry is None or not all(forms(entry.string)):
            missing.append(message.id)
        elif entry.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"untranslated in {language} (run `make catalogues`, then translate): {missing}"
    assert not fuzzy, f"fuzzy in {language} (check the translation, then remove the flag): {fuzzy}"


def test_hindi_translations_keep_every_placeholder_of_the_english(code_messages):
    catalogue = read_catalogue("hi")
    for message in code_messages:
        entry = catalogue.get(message.id) if message.id else None
        if entry is None:
            continue
        english = forms(message.id)
        for index, translation in enumerate(form for form in forms(entry.string) if form):
            # Hindi has two plural forms, as English: each form keeps the placeholders of its English form.
            source = english[min(index, len(english) - 1)]
            assert placeholders(translation) == placeholders(source), (message.id, translation)


def test_hindi_has_the_plural_rule_of_english():
    assert read_catalogue("hi").plural_expr == "(n != 1)"


@pytest.mark.parametrize(("tag", "locale"), [("hi-IN", "hi"), ("hi", "hi"), ("en_GB", "en"), ("fr-FR", None), ("", None)])
def test_a_launch_locale_names_a_supported_language_or_none(tag, locale):
    assert supported_locale(tag) == locale


@pytest.mark.parametrize(("presentation", "locale"), [
    ({"locale": "hi-IN", "document_target": "iframe"}, "hi"),
    ({"document_target": "iframe"}, None),
    ({"locale": 42}, None),
    ("hi-IN", None),
    (["hi-IN"], None),
    (None, None),
])
def test_a_malformed_launch_presentation_names_no_language(presentation, locale):
    assert launch_locale(presentation) == locale


def test_the_browser_decides_when_the_launch_named_no_language(app):
    with app.test_request_context(headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.8"}):
        assert select_locale() == "hi"
    with app.test_request_context(headers={"Accept-Language": "fr-FR"}):
        assert select_locale() == "en"


def test_dates_read_in_hindi_with_hindi_day_and_month_names(app):
    moment = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    with force_locale("hi"):
        hindi = local_time(moment, "Asia/Kolkata")
    with force_locale("en"):
        english = local_time(moment, "Asia/Kolkata")
    assert hindi == "सोम, 5 जन॰ 2026, 14:00 IST"
    assert english == "Mon, Jan 5, 2026, 14:00 IST"


def test_numbers_are_grouped_as_the_language_groups_them(app):
    with force_locale("hi"):
        assert points(1234567.5) == "12,34,567.5"
        assert file_size(2_621_440) == "2.5 MB"
    with force_locale("en"):
        assert points(1234567.5) == "1,234,567.5"
        assert points(4.0) == "4"


def test_a_domain_refusal_is_shown_in_hindi(app):
    with pytest.raises(InvalidInput) as refusal:
        Rubric(criteria=()).validate()
    assert refusal.value.message == "Add at least one criterion."  # the domain itself speaks English
    with force_locale("hi"):
        assert translate(refusal.value.message) == "कम से कम एक मानदंड जोड़ें।"


def test_a_domain_refusal_in_hindi_names_its_numbers_and_dates_in_hindi(app):
    opens = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    window = SubmissionWindow(opens=opens, due=datetime(2026, 3, 9, tzinfo=UTC), policy=LatePolicy(accept_late=False))
    with pytest.raises(PhaseClosed) as refusal:
        window.check(datetime(2026, 3, 1, tzinfo=UTC))
    assert refusal.value.message == "Submissions are not open yet; they open on 2 March 2026 at 09:00 UTC."
    with force_locale("hi"):
        hindi = translate(refusal.value.message)
    assert hindi == "अभी कार्य जमा करना शुरू नहीं हुआ है; यह सोम, 2 मार्च 2026, 09:00 UTC को शुरू होगा।"


def test_a_domain_message_keeps_its_template_through_a_copy_or_a_pickle():
    message = N_("Give criterion %(number)s at least two levels.", number=2)
    for copied in (copy.deepcopy(message), pickle.loads(pickle.dumps(message))):  # noqa: S301 - our own bytes
        assert copied == "Give criterion 2 at least two levels."
        assert (copied.template, copied.params) == (message.template, {"number": 2})


def test_a_message_stored_as_its_english_text_is_shown_in_the_readers_language(app):
    # An outbox row keeps its reason as text; one the catalogue knows is shown translated, any other as it is.
    with force_locale("hi"):
        assert stored_message("Settings saved.") == "सेटिंग्स सहेजी गईं।"
        assert stored_message("422: userId is not a student in this course") == (
            "422: userId is not a student in this course")
        assert stored_message("") == "" and stored_message(None) == ""


@pytest.mark.parametrize(("zone", "label"), [
    ("UTC", "UTC"), ("Etc/UTC", "UTC"), ("Europe/London", "UTC"), ("Africa/Abidjan", "UTC"),
    ("America/Sao_Paulo", "UTC-3"), ("Asia/Kathmandu", "UTC+5:45"), ("Asia/Dubai", "UTC+4"),
    ("Asia/Kolkata", "IST"), ("Europe/Paris", "CET"), ("America/New_York", "EST"),
])
def test_a_zone_without_a_name_of_its_own_is_labelled_by_its_offset_from_utc_and_never_gmt(app, zone, label):
    # The browser's rewrite (local_time.js) labels zones the same way, so one moment reads alike on every page.
    with force_locale("en"):
        written = local_time(datetime(2026, 1, 5, 8, 30, tzinfo=UTC), zone)

    assert written.rsplit(" ", 1)[1] == label


@pytest.mark.parametrize(("accuracy", "shown"), [
    (0.796, 79), (0.7999999999999999, 80), (0.8, 80), (0.88, 88), (0.29, 29), (1.0, 100), (0.0, 0), (None, 0),
])
def test_a_calibration_accuracy_is_shown_rounded_down_so_it_never_reads_as_the_pass_mark_it_missed(accuracy, shown):
    assert floor_percent(accuracy) == shown


@pytest.mark.parametrize(("tag", "region"), [("hi-IN", "IN"), ("en_au", "AU"), ("zh-Hant-TW", "TW"), ("en", None),
                                             ("es-419", None), ("", None), (None, None)])
def test_a_locale_names_its_country_when_it_has_one(tag, region):
    assert locale_region(tag) == region
