"""The student table's query string and its pages: unknown values fall back to the defaults, pages stay in range."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from lti_tool.views.dashboard import PAGE_SIZE, GetForm, Page, TableRequest


def test_the_query_string_is_read_and_anything_unknown_falls_back_to_the_default():
    asked = TableRequest.from_args(MultiDict({"sort": "grade", "dir": "desc", "filter": "late", "q": " ada ", "page": "3"}))
    odd = TableRequest.from_args(MultiDict({"sort": "password", "dir": "up", "filter": "<script>", "q": "x" * 500,
                                            "page": "-2"}))

    assert asked == TableRequest(sort="grade", descending=True, keep="late", search="ada", page=3)
    assert odd == TableRequest(search="x" * 100)
    assert TableRequest.from_args(MultiDict({"page": "9" * 12})).page == 1
    assert TableRequest.from_args(MultiDict({"page": "\u00b2"})).page == 1  # a digit to Python, not to int()
    assert TableRequest.from_args(MultiDict()) == TableRequest()


def test_a_large_class_is_shown_a_page_at_a_time_and_a_page_beyond_the_end_shows_the_last():
    rows = list(range(2 * PAGE_SIZE + 5))

    first, last, beyond = Page.of(rows, 1), Page.of(rows, 3), Page.of(rows, 40)

    assert (first.count, first.first, first.last, len(first.rows)) == (3, 1, PAGE_SIZE, PAGE_SIZE)
    assert (last.first, last.last, last.rows) == (2 * PAGE_SIZE + 1, 2 * PAGE_SIZE + 5, rows[-5:])
    assert beyond.number == 3 and beyond.rows == last.rows
    assert Page.of([], 2).count == 1 and Page.of([], 2).rows == []


def test_a_get_form_keeps_the_parameters_its_address_carries():
    form = GetForm.to("/links/3?_t=abc.def&x=1")

    assert form.action == "/links/3" and form.carried == [("_t", "abc.def"), ("x", "1")]
    assert GetForm.to("/links/3") == GetForm("/links/3", [])
