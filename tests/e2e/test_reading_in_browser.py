"""A reviewer reads a PDF and a DOCX inside the review page, in headless Chromium in the LMS's iframe: pdf.js draws
page 1, the keyboard turns to page 2, nothing is refused by the tool's Content-Security-Policy, and axe-core and the
800 px iframe check pass on the reader."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from assessment.reading_copies import LibreOffice
from tests.support.in_browser import (
    FOCUS_RING,
    INSTRUCTOR,
    Evidence,
    Person,
    add_activity_by_deep_linking,
    add_criterion,
    hand_in,
    move_phase,
    new_browser_page,
)
from tests.support.services import service_missing

pytestmark = pytest.mark.e2e


def _two_page_docx(title: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph("The first page argues that peer review teaches judgement.")
    document.add_page_break()
    document.add_paragraph("The second page weighs the evidence.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """A two-page PDF and a two-page DOCX, both written by the real producers (python-docx, then LibreOffice)."""
    if shutil.which("soffice") is None:
        service_missing("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    paths = {"docx": tmp_path / "essay.docx", "pdf": tmp_path / "essay.pdf", "third": tmp_path / "third.pdf"}
    paths["docx"].write_bytes(_two_page_docx("An essay handed in as DOCX"))
    paths["pdf"].write_bytes(LibreOffice("soffice").to_pdf(_two_page_docx("An essay handed in as PDF"), "docx"))
    paths["third"].write_bytes(paths["pdf"].read_bytes())
    return paths


def _read_by_keyboard(reader: Person) -> None:
    """The reader draws page 1 of 2; Tab from the page number reaches "Next page", which Enter follows."""
    frame = reader.page.frame(name="tool-frame")
    root = frame.locator(".reader")
    root.wait_for()
    frame.wait_for_function("() => document.querySelector('.reader')?.dataset.drawn === '1'", timeout=60_000)
    assert frame.locator(".reader-count").inner_text() == "of 2"
    assert frame.locator(".reader canvas").get_attribute("aria-label") == "Page 1 of 2 of the submitted file"
    assert frame.evaluate("() => document.querySelector('.reader canvas').width") > 0
    # The page's words lie over the drawing for screen readers and search.
    assert "peer review teaches judgement" in frame.locator(".reader .textLayer").inner_text()
    reader.seen()

    frame.locator("[data-action=page]").focus()
    reader.page.keyboard.press("Tab")
    focused = frame.evaluate(FOCUS_RING)
    assert focused["text"] == "Next page" and focused["outline"], focused
    reader.page.keyboard.press("Enter")
    frame.wait_for_function("() => document.querySelector('.reader')?.dataset.drawn === '2'")
    assert frame.locator("[data-action=page]").input_value() == "2"
    assert frame.locator(".reader-announce").inner_text() == "Page 2 of 2"
    assert "weighs the evidence" in frame.locator(".reader .textLayer").inner_text()
    assert frame.locator("[data-action=next]").is_disabled()
    # The focus stays in the reader, on the button that still leads somewhere.
    assert frame.evaluate(FOCUS_RING)["text"] == "Previous page"

    # Pages turned faster than they are drawn: each drawing waits for the one before, and the last page asked for is
    # the one shown, with its own words (never the words of a page whose drawing started earlier).
    frame.evaluate("""() => {
        const reader = document.querySelector('.reader');
        reader.querySelector('[data-action=fit]').click();
        const turnTo = (number) => {
            const input = reader.querySelector('[data-action=page]');
            input.value = String(number);
            input.dispatchEvent(new Event('change'));
        };
        turnTo(1);
        reader.querySelector('[data-action=zoom-in]').click();
        turnTo(2);
        delete reader.dataset.drawn;
    }""")
    frame.wait_for_function("() => { const reader = document.querySelector('.reader');"
                            " return reader.dataset.drawn === '2' && !('drawing' in reader.dataset); }")
    assert frame.locator(".reader .reader-status").is_hidden()
    words = frame.locator(".reader .textLayer").inner_text()
    assert "weighs the evidence" in words and "teaches judgement" not in words, words
    assert frame.locator(".reader-announce").inner_text() == "Page 2 of 2"
    assert frame.locator(".reader-zoom").inner_text() == "Zoom: 125%"


def test_a_reviewer_reads_a_pdf_and_a_docx_inline_by_keyboard(chromium, lms, tmp_path, files):
    evidence = Evidence(tmp_path)
    ada = Person(INSTRUCTOR, new_browser_page(chromium), lms, evidence)
    link = add_activity_by_deep_linking(ada, "Essays read in the page", "10")
    ada.launch(link)
    add_criterion(ada, "Argument")
    lab = new_browser_page(chromium)
    refusals: list[str] = []
    lab.on("console", lambda message: refusals.append(message.text) if "Content Security Policy" in message.text
           else None)
    # The oldest submissions are handed out first: student-1 reviews the PDF, then the DOCX.
    for user, path in (("student-2", files["pdf"]), ("student-3", files["docx"]), ("student-1", files["third"])):
        hand_in(Person(user, lab, lms), f"The essay of {user}.", link, file=path)
    move_phase(ada, "review", link)

    reviewer = Person("student-1", lab, lms, evidence)
    tool = reviewer.launch(link)
    for kind in ("pdf", "docx"):
        tool.get_by_role("button", name="Review a submission").click()
        tool.locator("#submission").wait_for()
        _read_by_keyboard(reviewer)
        evidence.screenshot(lab, f"reading-{kind}")
        tool.locator("fieldset.criterion input[type=radio]").first.check()
        tool.get_by_role("button", name="Submit review").click()
        tool.get_by_text("Review submitted. Thank you!").wait_for()

    # Staff read the DOCX on the student's work page, with the download beside it.
    ada.launch(link)
    ada.navigate("Submissions")
    row = ada.tool.locator("#submissions tbody tr", has_text=".docx")
    ada.follow(row.get_by_role("link").first)
    staff_frame = ada.page.frame(name="tool-frame")
    staff_frame.wait_for_function("() => document.querySelector('.reader')?.dataset.drawn === '1'", timeout=60_000)
    assert staff_frame.locator(".reader-count").first.inner_text() == "of 2"
    assert ada.tool.get_by_role("link", name=re.compile(r"^Download .*\.docx$")).count() == 1
    evidence.checked = {kind for kind in evidence.checked if "/work" not in kind}
    ada.seen("reading-on-the-work-page")

    assert refusals == []
    checked = "\n".join(sorted(evidence.checked))
    assert "frame /links/N/reviews/N (Review)" in checked and "frame /links/N/students/N/work" in checked, checked
