"""In a real browser, inside the sandbox's iframe: a hand-in whose file is being checked shows the result by itself."""

from __future__ import annotations

import pytest

from lti_tool.views import student as student_views
from tests.support.accessibility import assert_accessible
from tests.support.documents import pdf_naming_its_author
from tests.web.conftest import instructor  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


def test_the_students_page_shows_being_checked_then_the_new_version_without_a_reload_by_hand(
        page, lms, instructor, monkeypatch, tmp_path):  # noqa: F811
    held: list[int] = []
    monkeypatch.setattr(student_views, "enqueue", lambda task, check_id: held.append(check_id))
    essay = tmp_path / "Amara_Okafor_essay.pdf"
    essay.write_bytes(pdf_naming_its_author())
    page.goto(f"{lms.sandbox.url}/course/launch-as/student-1")
    tool = page.frame_locator("#tool-frame")
    tool.locator("input[type=file]").set_input_files(str(essay))
    tool.get_by_role("button", name="Submit").click()
    tool.get_by_text("your file is being checked before reviewers can see it").wait_for()
    assert tool.get_by_role("link", name="See whether the check is done").count() == 1
    assert_accessible(page.frame(name="tool-frame"), "a hand-in being checked")

    lms.tool.app.extensions["peerlti.celery"].tasks["peerlti.check_file"].apply(args=held).get()

    # The page asks, sees the check has ended, and reloads itself: the new version is there, its file to download.
    tool.locator("#my-submission").get_by_role("link", name="submission-").wait_for()
    assert tool.get_by_text("your file is being checked").count() == 0


def test_a_refused_file_is_explained_on_an_accessible_page_with_the_way_on(
        page, lms, instructor, monkeypatch, tmp_path):  # noqa: F811
    held: list[int] = []
    monkeypatch.setattr(student_views, "enqueue", lambda task, check_id: held.append(check_id))
    damaged = tmp_path / "essay.pdf"
    damaged.write_bytes(b"%PDF-1.7\nnot really a PDF")
    page.goto(f"{lms.sandbox.url}/course/launch-as/student-1")
    tool = page.frame_locator("#tool-frame")
    tool.locator("input[type=file]").set_input_files(str(damaged))
    tool.get_by_role("button", name="Submit").click()
    tool.get_by_text("your file is being checked before reviewers can see it").wait_for()

    lms.tool.app.extensions["peerlti.celery"].tasks["peerlti.check_file"].apply(args=held).get()

    tool.get_by_text("could not be read as a PDF").wait_for()
    assert tool.get_by_text("Nothing you handed in counts yet").count() == 1
    assert_accessible(page.frame(name="tool-frame"), "a refused hand-in")
