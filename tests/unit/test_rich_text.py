"""Rich user HTML keeps its formatting and no link or image that reaches the tool or reveals a reader."""

from __future__ import annotations

import pytest

from assessment.rich_text import clean_rich_text, render_markdown

TOOL = "https://peerlti.example.edu"


@pytest.mark.parametrize("href", [
    "https://peerlti.example.edu/links/3/me",
    "https://PEERLTI.example.edu:443/links/3",
    "http://peerlti.example.edu/links/3",
    "https://peerlti.example.edu:8443/x",
    "/links/3/me",
    "links/3",
    "?_t=abc",
    "#top",
    "//peerlti.example.edu/links/3",
    "\\\\peerlti.example.edu/links/3",
    " /lti/login?iss=x",
    "https:peerlti.example.edu/links",
    "https://elsewhere.example/?_t=eyJ.sig",
    "https://elsewhere.example/?x=1&%5Ft=eyJ.sig",
    "https://elsewhere.example/?x=1&amp;_t=eyJ.sig",
])
def test_links_to_the_tool_relative_links_and_links_carrying_a_tab_token_are_dropped(href):
    cleaned = clean_rich_text(f'<p><a href="{href}">look</a></p>', TOOL)

    assert "href" not in cleaned and "look" in cleaned


def test_tab_tokens_are_dropped_even_when_the_tools_address_is_unknown():
    cleaned = clean_rich_text('<a href="https://a.example/?_t=x">a</a><a href="/links/1">b</a>', "")

    assert "href" not in cleaned


def test_links_elsewhere_are_kept_and_open_in_a_new_window_without_the_referrer():
    cleaned = clean_rich_text('<a href="https://en.wikipedia.org/wiki/Peer_review">source</a>', TOOL)

    assert 'href="https://en.wikipedia.org/wiki/Peer_review"' in cleaned
    assert 'rel="noopener noreferrer"' in cleaned and 'target="_blank"' in cleaned


@pytest.mark.parametrize("src", [
    "/lti/login?iss=https://lms.example&login_hint=1",
    "https://peerlti.example.edu/lti/login?iss=x",
    "https://tracker.example/pixel.gif",
    "http://tracker.example/pixel.gif",
    "//tracker.example/pixel.gif",
    "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
    "data:text/html;base64,PHNjcmlwdD4=",
])
def test_images_that_load_from_anywhere_are_dropped(src):
    cleaned = clean_rich_text(f'<p><img src="{src}" alt="chart">text</p>', TOOL)

    assert "src=" not in cleaned and "text" in cleaned


def test_an_image_written_into_the_text_itself_is_kept():
    png = "data:image/png;base64,iVBORw0KGgo="

    assert f'src="{png}"' in clean_rich_text(f'<img src="{png}" alt="chart">', TOOL)


def test_data_urls_are_not_links():
    assert "href" not in clean_rich_text('<a href="data:text/html,hello">x</a>', TOOL)


def test_formatting_and_scripts_are_treated_as_before():
    cleaned = clean_rich_text("<p>My <b>essay</b></p><script>alert(1)</script><i onclick='x()'>i</i>", TOOL)

    assert cleaned == "<p>My <b>essay</b></p><i>i</i>"


def test_quotations_citing_the_tool_lose_their_cite():
    assert "cite" not in clean_rich_text('<blockquote cite="/links/1?_t=x">q</blockquote>', TOOL)


def test_markdown_becomes_formatted_html():
    html = render_markdown("Write **1000 words** on *one* question.\n\n- a claim\n- evidence\n\n"
                           "| part | points |\n|---|---|\n| essay | 40 |\n\n[Style guide](https://example.edu/style)",
                           TOOL)

    assert "<strong>1000 words</strong>" in html and "<em>one</em>" in html
    assert "<ul>" in html and "<li>a claim</li>" in html and "<table>" in html and "<td>essay</td>" in html
    assert 'href="https://example.edu/style"' in html and 'rel="noopener noreferrer"' in html


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    '<img src="x" onerror="alert(2)">',
    "[me](https://peerlti.example.edu/links/3/me)",
    "![tracker](https://elsewhere.example/pixel.png)",
    '<a href="/links/3" onclick="steal()">x</a>',
])
def test_markdown_is_cleaned_by_the_same_rules_as_html(source):
    html = render_markdown(source, TOOL)

    for danger in ("<script", 'href="javascript', "onerror=", "onclick=", 'href="https://peerlti', "src=", 'href="/links'):
        assert danger not in html


def test_html_written_inside_markdown_keeps_its_formatting():
    assert "<strong>kept</strong>" in render_markdown("Some <strong>kept</strong> HTML.", TOOL)


def test_empty_markdown_is_empty_html():
    assert render_markdown("", TOOL) == render_markdown("  \n ", TOOL) == ""


@pytest.mark.parametrize("href", [
    "https://elsewhere.example/?_\nt=eyJ.sig",      # browsers drop tabs and line breaks before reading a URL
    "https://elsewhere.example/?_\tt=eyJ.sig",
    "https://elsewhere.example/?_\rt=eyJ.sig",
    "https://elsewhere.example/?_T=eyJ.sig",
    "https://elsewhere.example/?x=1&%255Ft=eyJ.sig",  # encoded twice
    "https:///links/3",                               # no host: the browser takes the path on the page's own host
    "https://peerlti.example.edu./links/3",           # the tool's host written with its final dot
    "https:\\\\peerlti.example.edu/links/3",          # backslashes read as slashes
])
def test_links_that_browsers_read_as_reaching_the_tool_or_carrying_a_token_are_dropped(href):
    cleaned = clean_rich_text(f'<a href="{href}">look</a>', TOOL)

    assert cleaned == '<a rel="noopener noreferrer" target="_blank">look</a>'


def test_a_link_elsewhere_written_with_backslashes_is_kept_as_browsers_read_it():
    cleaned = clean_rich_text('<a href="https:\\\\en.wikipedia.org/wiki/Peer_review">source</a>', TOOL)

    assert 'href="https:\\\\en.wikipedia.org/wiki/Peer_review"' in cleaned


def test_the_tools_own_host_is_known_with_or_without_its_final_dot():
    assert "href" not in clean_rich_text('<a href="https://peerlti.example.edu/links/3">x</a>',
                                         "https://peerlti.example.edu.")
    assert "href" in clean_rich_text('<a href="https://elsewhere.example/">x</a>', "https://peerlti.example.edu.")


def test_an_image_written_into_the_text_is_kept_whatever_the_case_of_its_type():
    png = "DATA:IMAGE/PNG;base64,iVBORw0KGgo="

    assert f'src="{png}"' in clean_rich_text(f'<img src="{png}" alt="chart">', TOOL)


def test_nothing_is_empty_text():
    assert clean_rich_text("", TOOL) == clean_rich_text(None, TOOL) == ""
    assert render_markdown(None, TOOL) == ""


def test_html_inside_markdown_is_rendered_and_its_tables_and_strikethrough_too():
    assert render_markdown("<em>html</em> and ~~gone~~", TOOL) == "<p><em>html</em> and <s>gone</s></p>"


def test_a_mail_link_is_kept():
    assert 'href="mailto:tutor@example.edu"' in clean_rich_text('<a href="mailto:tutor@example.edu">mail</a>', TOOL)
