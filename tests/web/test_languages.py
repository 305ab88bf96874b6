"""The page language through real launches: the LMS's locale first, then the browser's, else English."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.catalogues import compile_catalogues
from tests.support.lms import begin_launch
from tests.support.visitor import Visitor, page_text

HTML_LANG = re.compile(r'<html lang="([^"]+)">')


@pytest.fixture(autouse=True)
def compiled_catalogues():
    compile_catalogues()


def html_lang(response) -> str:
    return HTML_LANG.search(response.text)[1]


def test_a_launch_in_hindi_shows_the_pages_in_hindi(lms, instructor):
    student = Visitor(lms, "student-1")
    home = student.launch(locale="hi-IN")
    assert html_lang(home) == "hi"
    assert "आपका डेटा" in page_text(home)  # "Your data" in the navigation
    my_data = student.get("/links/{link}/me")
    assert html_lang(my_data) == "hi"
    assert "peerlti के पास आपकी कौन-सी जानकारी है" in page_text(my_data)


def test_a_launch_in_english_shows_the_pages_in_english_whatever_the_browser_prefers(lms, instructor):
    student = Visitor(lms, "student-1")
    student.browser.headers["Accept-Language"] = "hi-IN,hi;q=0.9"
    home = student.launch(locale="en-US")
    assert html_lang(home) == "en"
    assert "Your data" in page_text(home)


def test_without_a_launch_locale_the_browser_language_decides(lms, instructor):
    student = Visitor(lms, "student-1")
    student.browser.headers["Accept-Language"] = "hi-IN,hi;q=0.9,en;q=0.5"
    home = student.launch()
    assert html_lang(home) == "hi"
    assert "आपका डेटा" in page_text(home)


def test_a_language_peerlti_does_not_speak_falls_back_to_english(lms, instructor):
    student = Visitor(lms, "student-1")
    home = student.launch(locale="fr-FR")
    assert html_lang(home) == "en"
    assert "Your data" in page_text(home)


def test_dates_on_a_hindi_page_name_the_month_in_hindi(lms, instructor):
    instructor.launch(locale="hi-IN")
    people = page_text(instructor.get("/links/{link}/people"))
    month = re.search(r"\d{1,2} (\S+) 20\d\d, \d\d:\d\d (UTC|CET)", people)  # the assignment is in Paris
    assert month, people
    assert re.fullmatch(r"[\u0900-\u097F॰]+", month[1]), month[1]  # written in Devanagari


def test_a_refusal_from_the_domain_is_shown_in_hindi(lms, instructor):
    instructor.launch(locale="hi-IN")
    refused = instructor.post("/links/{link}/phase", {"phase": "no-such-phase"})
    assert refused.status_code == 400
    assert "सूची से कोई चरण चुनें।" in page_text(refused)


def test_a_form_problem_is_shown_in_hindi(lms, instructor):
    instructor.launch(locale="hi-IN")
    response = instructor.post("/links/{link}/rubric/criteria", {"title": "", "scoring": "levels", "weight": "1"})
    assert response.status_code == 400
    assert "यह जानकारी भरना ज़रूरी है।" in page_text(response)


def test_a_refused_launch_is_explained_in_the_browser_language(lms):
    browser = requests.Session()
    browser.headers["Accept-Language"] = "hi-IN,hi;q=0.9"
    refused = begin_launch(lms, "student-1", browser).post(id_token="this-is-not-a-jwt")
    assert refused.status_code == 400
    assert html_lang(refused) == "hi"
    assert "id_token मान्य JWT नहीं है (इसे डिकोड नहीं किया जा सकता)।" in page_text(refused)


def test_a_hindi_home_counts_the_steps_done_as_a_label_that_needs_no_agreement(lms, instructor):
    student = Visitor(lms, "student-1")
    home = student.launch(locale="hi-IN")
    assert "पूरे चरण: 3 में से 0" in page_text(home)  # not "3 में से 0 चरण पूरे", whose verb agrees with the 3
