"""Languages: complete catalogues, and dates, numbers and the domain's messages in the reader's language."""

from __future__ import annotations

import copy
import json
import pickle
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_babel import force_locale, gettext, ngettext

from assessment.errors import InvalidInput, PhaseClosed
from assessment.grading import LatePolicy, SubmissionWindow
from assessment.messages import N_, message_document, message_from_document
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


# Glossary lines in the Hindi catalogue's header: "Glossary: <English term> = <Hindi term> / <another accepted form>".
GLOSSARY_LINE = re.compile(r"^# Glossary: (?P<english>[^=]+?) = (?P<hindi>.+)$", re.MULTILINE)
# Hindi inflects at the end of a word (समीक्षा, समीक्षाएँ, समीक्षाओं): a word's stem is the word without its final
# vowel signs and nasal marks, and any further letters may follow it.
FINAL_MARKS = re.compile(r"[\u093e-\u094c\u0901-\u0903]+$")
DEVANAGARI_LETTERS = "[\u0900-\u097f]*"


def hindi_glossary() -> dict[str, tuple[str, ...]]:
    header = read_catalogue("hi").header_comment
    return {line["english"]: tuple(line["hindi"].split(" / ")) for line in GLOSSARY_LINE.finditer(header)}


def english_term(term: str) -> re.Pattern[str]:
    """The English term as a word, with its plural, past and -ing forms (release: releases, released, releasing)."""
    stem = term[:-1] if term.endswith("e") else term
    return re.compile(rf"\b(?:{re.escape(term)}(?:s|es|d|ed|ly)?|{re.escape(stem)}ing)\b", re.IGNORECASE)


def hindi_term(term: str) -> re.Pattern[str]:
    words = (re.escape(FINAL_MARKS.sub("", word)) + DEVANAGARI_LETTERS for word in term.split())
    return re.compile(r"(?<![\u0900-\u097f])" + r"\s+".join(words))


def hindi_pairs() -> list[tuple[str, str]]:
    """Each message of the Hindi catalogue as (its English, its Hindi), plural forms joined."""
    return [(" ".join(forms(entry.id)), " ".join(forms(entry.string))) for entry in read_catalogue("hi") if entry.id]


def test_the_hindi_glossary_names_every_term_a_reader_found_rendered_several_ways():
    glossary = hindi_glossary()
    assert {"anonymity", "consensus", "late work", "peer score", "per started day", "pool", "precision",
            "queue", "release", "in progress", "accuracy", "roster", "list"} <= glossary.keys()


@pytest.mark.parametrize("english", sorted(hindi_glossary()))
def test_every_hindi_message_uses_the_glossary_term_for_its_english_term(english):
    hindi = hindi_glossary()[english]
    english_pattern = english_term(english)
    hindi_patterns = [hindi_term(term) for term in hindi]
    # A placeholder is not the word: %(reviewer)s names a person, not a reviewer.
    using = [(source, translation) for source, translation in hindi_pairs()
             if english_pattern.search(PLACEHOLDER.sub("", source))]
    assert using, f"no message speaks of {english!r}: drop it from the glossary"
    straying = [(source, translation) for source, translation in using
                if not any(pattern.search(translation) for pattern in hindi_patterns)]
    assert not straying, f"{english!r} is rendered without {' / '.join(hindi)}: {straying}"


# Renderings a native reader found misleading, for the meaning in the English that they must not carry.
MISREADINGS = [
    (r"late work", "देर से किया गया", "reads as work done late, not handed in late"),
    (r"per started day", "शुरू हुए दिन", "a calque"),
    (r"releas|in progress|under way", "जारी", "used for both released and in progress"),
    (r"precis", "सटीक", "सटीकता is calibration accuracy, on the same dashboard"),
    (r"peer score", "सहपाठियों के अंक", "reads as the classmates' own marks"),
    (r"^(?!.*\blist).*(?:pool|queue|roster)", "सूची", "सूची is a list; pool, queue and roster each have their own word"),
    (r"anonym|blind", "गुमनाम|नाम की गोपनीयता|दोहरी गोपनीयता", "anonymity has one term"),
    (r"consensus", "सर्वसम्मति", "it means unanimity"),
]


@pytest.mark.parametrize(("meaning", "misreading", "why"), MISREADINGS)
def test_no_hindi_message_keeps_a_misleading_rendering(meaning, misreading, why):
    misread = [(source, translation) for source, translation in hindi_pairs()
               if re.search(meaning, source, re.IGNORECASE | re.DOTALL) and re.search(misreading, translation)]
    assert not misread, f"{misreading} ({why}): {misread}"


def test_the_glossary_check_accepts_inflected_words_but_not_other_words():
    assert all(english_term("release").search(word) for word in ("Release", "released", "releases", "releasing"))
    assert not any(english_term("late").search(word) for word in ("later", "latest", "translate"))
    review = hindi_term("समीक्षा")
    assert review.search("समीक्षाएँ") and review.search("उनकी समीक्षाओं को") and not review.search("परीक्षा")
    assert not hindi_term("दंड").search("मानदंड")
    late_work = hindi_term("देर से जमा किया गया कार्य")
    assert late_work.search("यह देर से जमा किया गया कार्य है") and not late_work.search("देर से किया गया कार्य")


# ngettext picks the form by the total, so "1 of 30 students" would make "1" agree with a plural noun: Hindi
# reads each count out of a total as a label's value ("पूरी समीक्षाएँ: 30 में से 1"), where no word follows the count.
COUNT_BEFORE_A_WORD = re.compile(r"में से %\([a-z_]+\)[sd](?!\s*(?:$|[)(।;,.]))")


def test_a_count_followed_by_a_word_is_told_from_a_label():
    assert COUNT_BEFORE_A_WORD.search("%(num)s में से %(done)s विद्यार्थियों ने कार्य जमा किया")
    assert not COUNT_BEFORE_A_WORD.search("पूरी समीक्षाएँ: %(num)d में से %(done)d")
    assert not COUNT_BEFORE_A_WORD.search("(समीक्षक: %(reviewers)s में से %(finished)s)")


def test_hindi_counts_out_of_a_total_stand_after_a_label():
    agreeing = [(entry.id, entry.string) for entry in read_catalogue("hi")
                if isinstance(entry.id, tuple) and any(COUNT_BEFORE_A_WORD.search(form) for form in entry.string)]
    assert not agreeing


def test_a_student_reads_one_review_of_thirty_done_as_a_label_in_hindi(app):
    with force_locale("hi"):
        progress = ngettext("%(done)d of %(num)d review done", "%(done)d of %(num)d reviews done", 30, done=1)
    assert progress == "पूरी समीक्षाएँ: 30 में से 1"


def test_a_message_stored_as_its_english_text_is_shown_in_the_readers_language(app):
    # An outbox row keeps its reason as text; one the catalogue knows is shown translated, any other as it is.
    with force_locale("hi"):
        assert stored_message("Settings saved.") == "सेटिंग्स सहेजी गईं।"
        assert stored_message("422: userId is not a student in this course") == (
            "422: userId is not a student in this course")
        assert stored_message("") == "" and stored_message(None) == ""


def test_a_message_stored_with_its_parameters_is_translated_and_then_filled_in(app):
    # An outbox row keeps its reason as a template and parameters (a message among them), read in any language.
    reason = N_("The platform refused %(what)s (%(status)s).", what=N_("a score"), status="HTTP 403")
    stored = json.loads(json.dumps(message_document(reason)))

    kept = message_from_document(stored)

    assert kept == "The platform refused a score (HTTP 403)."
    with force_locale("hi"):
        assert stored_message(kept) == gettext("The platform refused %(what)s (%(status)s).",
                                               what=gettext("a score"), status="HTTP 403")
    assert message_document("the LMS's own words") is None
    assert message_from_document(None, "Stored before as English.") == "Stored before as English."


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
