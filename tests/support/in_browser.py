"""People of the sandbox course using peerlti in a real browser: launches, the steps of an assignment, evidence."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.accessibility import assert_accessible, assert_fits_iframe
from tests.support.lms import RunningLMS

TOOL_FRAME = "#tool-frame"
INSTRUCTOR = "instructor-1"


@dataclass
class Evidence:
    """Screenshots of the steps, and axe-core and iframe-width checks of every kind of page met on the way."""

    directory: Path
    readme_directory: Path | None = None  # also write the README's screenshots there
    checked: set[str] = field(default_factory=set)
    steps: int = 0

    def screenshot(self, page: Any, name: str, readme_name: str | None = None) -> Path:
        self.steps += 1
        path = self.directory / f"{self.steps:02d}-{name}.png"
        page.screenshot(path=path)
        if readme_name and self.readme_directory is not None:
            self.readme_directory.mkdir(parents=True, exist_ok=True)
            self._whole_frame_screenshot(page, self.readme_directory / f"{readme_name}.png")
        return path

    @staticmethod
    def _whole_frame_screenshot(page: Any, path: Path, tallest: int = 1500) -> None:
        """The LMS page with its iframe grown to the tool's page (up to `tallest` pixels), as a reader sees it."""
        frame = page.frame(name="tool-frame")
        if frame is None:  # an LMS page of its own, such as the gradebook
            page.screenshot(path=path, full_page=True)
            return
        height = min(frame.evaluate("() => document.documentElement.scrollHeight"), tallest)
        iframe = page.locator(TOOL_FRAME)
        iframe.evaluate("(element, height) => { element.style.height = height + 'px'; }", height)
        try:
            page.screenshot(path=path, full_page=True)
        finally:
            iframe.evaluate("element => { element.style.height = ''; }")

    def check(self, page: Any, who: str) -> None:
        """Check the LMS page and the tool's page in its frame, once per kind of page (ids in paths ignored)."""
        frame = page.frame(name="tool-frame")
        frames = [("lms", page)] + ([("frame", frame)] if frame is not None else [])
        for where, target in frames:
            # Some pages answer a form at the address of the form (a calibration attempt, its result): the title's
            # first part tells them apart.
            title, lang = target.evaluate("() => [document.title.split(' · ')[0], document.documentElement.lang]")
            kind = f"{where} {_route(target.url)} ({title}) as {who} in {lang}"
            if kind in self.checked:
                continue
            self.checked.add(kind)
            with (self.directory / "checked-pages.txt").open("a", encoding="utf-8") as listing:
                listing.write(kind + "\n")
            assert_accessible(target, kind)
            if where == "frame":
                assert_fits_iframe(page, TOOL_FRAME)


def _route(url: str) -> str:
    """The URL's path with its ids blanked out: /links/7/reviews/31 -> /links/N/reviews/N."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url).split("?", 1)[0]
    return re.sub(r"/(student-)?\d+", r"/\1N", path)


@dataclass
class Person:
    """One person of the sandbox course at a browser page (students may take turns at one), and what they see."""

    user_id: str
    page: Any
    lms: RunningLMS
    evidence: Evidence | None = None

    @property
    def tool(self) -> Any:
        return self.page.frame_locator(TOOL_FRAME)

    def seen(self, step: str | None = None, readme_name: str | None = None) -> None:
        """The page is what the step shows: check it, and keep a screenshot when the step is named."""
        if self.evidence is None:
            return
        self.evidence.check(self.page, "staff" if self.user_id == INSTRUCTOR else "student")
        if step:
            self.evidence.screenshot(self.page, step, readme_name)

    def launch(self, link_id: str | None = None, locale: str | None = None) -> Any:
        """Open the activity from the course page, in the LMS's iframe, as this person."""
        query = "&".join(f"{name}={value}" for name, value in (("link", link_id), ("locale", locale)) if value)
        self.page.goto(f"{self.lms.sandbox.url}/course/launch-as/{self.user_id}" + (f"?{query}" if query else ""))
        self.tool.locator("main h1").first.wait_for()
        self.seen()
        return self.tool

    def follow(self, target: Any) -> None:
        """Click a link or a form's button in the tool and wait for the page it leads to."""
        with self.page.frame(name="tool-frame").expect_navigation():
            target.click()
        self.seen()

    def navigate(self, name: str) -> None:
        """Follow a link of the tool's navigation bar."""
        self.follow(self.tool.locator("header").get_by_role("link", name=name, exact=True))


def new_browser_page(chromium: Any) -> Any:
    """A page in a context of its own: its own cookies, so its launches replace nobody else's session."""
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


# --- the steps of an assignment, as the instructor ---------------------------------------------------------------


def add_activity_by_deep_linking(instructor: Person, title: str, points: str) -> str:
    """Add a peerlti activity from the course page's content picker; the new resource link's id."""
    page = instructor.page
    page.goto(f"{instructor.lms.sandbox.url}/")
    instructor.seen("course-page")
    page.get_by_role("link", name="Add an activity with peerlti as Ada Instructor").click()
    picker = instructor.tool
    picker.get_by_label("Title").fill(title)
    picker.get_by_label("Points possible").fill(points)
    instructor.seen("content-picker")
    picker.get_by_role("button", name="Add to the course").click()
    picker.locator("h1", has_text="Activity added").wait_for()
    instructor.seen("activity-added")
    link_id = picker.locator("section[id^=added-] code").first.inner_text()
    open_activity(instructor, link_id)
    return link_id


def create_at_link(instructor: Person, link_id: str, title: str, points: str) -> None:
    """Make the peer assessment of a course link that has none yet; it waits in setup, on its settings page."""
    tool = instructor.launch(link_id)
    tool.get_by_label("Title").fill(title)
    tool.get_by_label("Points possible").fill(points)
    instructor.follow(tool.get_by_role("button", name="Create the peer assessment"))


def open_activity(instructor: Person, link_id: str | None = None) -> None:
    """Open a new activity, which waits in setup until staff open it, so it follows its dates."""
    tool = instructor.launch(link_id)
    tool.get_by_role("button", name="Open the activity").click()
    tool.get_by_text("The activity is open").wait_for()


def save_settings(instructor: Person, values: dict[str, str], ticked: tuple[str, ...] = ()) -> None:
    """Fill in the settings (by label), tick the `ticked` checkboxes, and save."""
    instructor.navigate("Settings")
    for label, value in values.items():
        instructor.tool.get_by_label(label).fill(value)
    for label in ticked:
        instructor.tool.get_by_label(label).check()
    instructor.seen()
    instructor.tool.get_by_role("button", name="Save settings").click()
    instructor.tool.get_by_text("Settings saved.").wait_for()


def add_criterion(instructor: Person, title: str, comment_prompt: str | None = None) -> None:
    """A criterion with the default levels (0 to 3 points), and a comment prompt when given."""
    instructor.navigate("Rubric")
    instructor.tool.get_by_label("Criterion").fill(title)
    if comment_prompt:
        instructor.tool.get_by_label("Comment prompt (optional)").fill(comment_prompt)
    instructor.tool.get_by_role("button", name="Save criterion").click()
    instructor.tool.get_by_text("Criterion saved.").wait_for()


def add_calibration_example(instructor: Person, title: str, reference: list[str]) -> None:
    """An example with the instructor's score for each criterion, in the rubric's order."""
    tool = instructor.tool
    instructor.navigate("Calibration")
    tool.get_by_role("link", name="Add an example").click()
    tool.get_by_label("Title").fill(title)
    tool.get_by_label("The example's text").fill(f"{title}, written by the instructor to practise on.")
    _score(tool, reference)
    instructor.seen()
    tool.get_by_role("button", name="Save example").click()
    tool.get_by_text("Example saved.").wait_for()


def move_phase(instructor: Person, phase: str, link_id: str | None = None) -> None:
    tool = instructor.launch(link_id)
    tool.locator("select[name=phase]").select_option(phase)
    tool.get_by_role("button", name="Move").click()
    tool.get_by_text("Moved to the").wait_for()


# --- the steps of an assignment, as a student ----------------------------------------------------------------------


def hand_in(student: Person, text: str, link_id: str | None = None, file: Path | None = None) -> None:
    tool = student.launch(link_id)
    tool.get_by_label("Your answer").fill(text)
    if file is not None:
        tool.locator("input[type=file]").set_input_files(str(file))
    tool.get_by_role("button", name="Submit").click()
    tool.get_by_text("Submitted: version 1.").wait_for()
    student.seen()


def calibrate(student: Person, answers: list[list[str]]) -> list[bool]:
    """Assess each calibration example in turn (one score per criterion); whether each result showed the instructor's
    assessment beside the student's (it stays hidden after a failed try that is retried on the same example)."""
    tool = student.tool
    tool.get_by_role("link", name="Practise assessing").click()
    compared = []
    for scores in answers:
        tool.locator("#example").wait_for()
        student.seen()
        _score(tool, scores)
        tool.get_by_role("button", name="Submit and compare").click()
        tool.locator("main p.actions").wait_for()
        compared.append(tool.locator("#comparison").count() == 1)
        student.seen()
        tool.locator("main a.button").first.click()
    tool.locator("main h1").first.wait_for()
    return compared


def review_peers(student: Person, reviews: int, scores: list[str], comment: str | None = None,
                 screenshot: str | None = None) -> list[str]:
    """Review `reviews` submissions the queue hands out; the heading of each review page, naming whose work it was."""
    tool = student.tool
    headings = []
    for number in range(reviews):
        tool.get_by_role("button", name="Review a submission").click()
        tool.locator("#submission").wait_for()
        headings.append(tool.locator("main h1").first.inner_text())
        _score(tool, scores)
        if comment:
            for box in tool.locator("main form textarea").all():
                box.fill(comment)
        student.seen(screenshot if number == 0 else None, "review-form" if screenshot and number == 0 else None)
        tool.get_by_role("button", name="Submit review").click()
        tool.get_by_text("Review submitted. Thank you!").wait_for()
    student.seen()
    return headings


def _score(tool: Any, scores: list[str]) -> None:
    """Choose one level per criterion, criteria in the rubric's order."""
    for criterion, points in zip(tool.locator("fieldset.criterion").all(), scores, strict=True):
        criterion.locator(f'input[type=radio][value="{points}"]').check()


# --- team work -----------------------------------------------------------------------------------------------------


def sync_roster(instructor: Person) -> None:
    """Bring the course's roster from the LMS, so students who never opened the activity can be placed in teams."""
    instructor.navigate("People")
    instructor.follow(instructor.tool.get_by_role("button", name="Sync the roster from the LMS"))
    instructor.tool.get_by_text("Roster synced from the LMS.").wait_for()


def make_teams(instructor: Person, smallest: int, largest: int) -> dict[str, list[str]]:
    """Teams made by the tool from the roster; each team's anonymous code and its members' names, as staff see them."""
    tool = instructor.tool
    instructor.navigate("Teams")
    tool.get_by_label("Smallest team").fill(str(smallest))
    tool.get_by_label("Largest team").fill(str(largest))
    instructor.follow(tool.get_by_role("button", name="Make teams"))
    tool.get_by_text(re.compile(r"\d+ teams? made")).wait_for()
    return {row.locator("td").nth(1).inner_text(): row.locator("td").nth(2).locator("li").all_inner_texts()
            for row in tool.locator("#teams tbody tr").all()}


def set_teammate_evaluation(instructor: Person) -> None:
    """Teammates rate each other on the default criteria and scale, the factor moving the whole grade."""
    tool = instructor.tool
    instructor.navigate("Teams")
    instructor.follow(tool.get_by_role("link", name="Teammate evaluation settings"))
    tool.get_by_label("Teammates rate each other after the work is in").check()
    instructor.seen()
    instructor.follow(tool.get_by_role("button", name="Save", exact=True))
    tool.get_by_text("Teammate evaluation saved.").wait_for()


def rate_teammates(student: Person, ratings: dict[str, tuple[str, str]]) -> None:
    """From the student's home, rate each teammate (by name): the same score on every criterion, and a comment."""
    tool = student.tool
    student.follow(tool.locator("#rate-teammates-link"))
    for name, (score, comment) in ratings.items():
        section = tool.locator("section[id^=teammate-]").filter(has=tool.locator("h2", has_text=name))
        for criterion in section.locator("fieldset").all():
            criterion.locator(f'input[type=radio][value="{score}"]').check()
        section.locator("textarea").fill(comment)
        student.follow(section.get_by_role("button", name="Save the rating"))
        tool.get_by_text("Rating saved.").wait_for()


# --- grading, triage and release, as the instructor ------------------------------------------------------------


def run_grading(instructor: Person, students: int) -> None:
    instructor.navigate("Grades")
    instructor.tool.get_by_role("button", name="Run grading").click()
    instructor.tool.get_by_text(f"Grades computed for {students} students").wait_for()


def release_grades(instructor: Person, students: int | None) -> None:
    """Press Release; `students` grades are released, or (None) only those that changed since the last release."""
    instructor.tool.get_by_role("button", name="Release grades to students and the gradebook").click()
    released = f"{students} grades released" if students else re.compile(r"grades? released|No grade changed")
    instructor.tool.get_by_text(released).first.wait_for()


def gradebook_scores(person: Person, expected: int = 0) -> dict[str, tuple[float, str]]:
    """The sandbox gradebook's newest column: each graded student's latest score and grading progress.

    With `expected`, the page is read again until that many students have a score (postings that a busy worker
    sends a moment after the release), for at most 20 seconds."""
    page = person.page
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"{person.lms.sandbox.url}/gradebook")
        scores = _newest_column(page)
        if len(scores) >= expected or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    person.seen()
    return scores


def _newest_column(page: Any) -> dict[str, tuple[float, str]]:
    column = page.locator("td[data-user-id]").last.get_attribute("data-line-item-id")
    scores = {}
    for cell in page.locator(f'td[data-line-item-id="{column}"]').all():
        entry = cell.locator(".score-entry").first
        if entry.count():
            given = entry.locator(".score").inner_text() if entry.locator(".score").count() else "nan/0"
            progress = entry.locator(".tag").last.inner_text()
            scores[cell.get_attribute("data-user-id")] = (float(given.split("/")[0]), progress)
    return scores


def open_feedback(student: Person) -> Any:
    """The feedback page, by its address rather than its link's words, which change with the language."""
    student.follow(student.tool.locator("main a[href$='/feedback']").first)
    return student.tool


def settle_doubtful_grades(instructor: Person, reason: str) -> list[str]:
    """Triage: accept each grade that needs attention as computed, by overriding it with its own total and a reason.

    The names of the students whose grades were settled."""
    tool = instructor.tool
    doubtful = tool.locator("#grades tbody tr").filter(has=tool.locator(".badge.warn"))
    rows = [(row.get_attribute("id"), row.locator("td").first.inner_text()) for row in doubtful.all()]
    for row_id, _ in rows:
        row = tool.locator(f"#{row_id}")
        row.get_by_label("Override total").fill(row.locator("td strong").inner_text())
        row.get_by_label("Reason").fill(reason)
        instructor.follow(row.get_by_role("button", name="save"))
        tool.get_by_text("Override saved.").wait_for()
    return [name for _, name in rows]


def resolve_flags(instructor: Person, resolution: str, remove: bool) -> int:
    """Resolve every open flag the same way; how many there were."""
    tool = instructor.tool
    instructor.navigate("Flags")
    flags = tool.locator("section[id^=flag-]").count()
    for _ in range(flags):
        flag = tool.locator("section[id^=flag-]").first
        flag.get_by_label("Resolution").fill(resolution)
        if remove:
            flag.get_by_label("Remove this review").check()
        instructor.follow(flag.get_by_role("button", name="Resolve"))
        tool.get_by_text("Flag resolved.").wait_for()
    return flags


def flag_review(student: Person, review: Any, explanation: str) -> None:
    """Flag one review of the feedback page as unfair."""
    review.locator("summary").click()
    review.get_by_label("unfair").check()
    review.get_by_label("What is wrong with it?").fill(explanation)
    student.seen()
    review.get_by_role("button", name="Send to course staff").click()
    student.tool.get_by_text("The review was flagged").wait_for()


# --- the keyboard alone ------------------------------------------------------------------------------------------

# The focused element, and whether it shows a focus ring of at least 2 px.
FOCUS_RING = """() => { const focused = document.activeElement, style = getComputedStyle(focused);
  return {tag: focused.tagName, id: focused.id, text: focused.textContent.trim(),
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2}; }"""


def skip_to_the_content(person: Person) -> None:
    """The first Tab in the tool's page reaches a visible "skip" link, and Enter takes the focus to the content."""
    frame = person.page.frame(name="tool-frame")
    frame.evaluate("() => { document.activeElement.blur(); window.focus(); }")
    person.page.keyboard.press("Tab")
    focused = frame.evaluate(FOCUS_RING)
    assert focused["tag"] == "A" and focused["outline"], focused
    assert frame.locator(".skip-link").bounding_box()["y"] >= 0, "the skip link stays off screen when focused"
    person.page.keyboard.press("Enter")
    assert frame.evaluate("() => document.activeElement.id") == "main"


def review_by_keyboard(student: Person, scores: list[str], comment: str) -> None:
    """One review without the mouse: Enter asks for work, arrows choose each level, Tab moves on, Enter submits."""
    tool, keys = student.tool, student.page.keyboard
    frame = student.page.frame(name="tool-frame")
    tool.get_by_role("button", name="Review a submission").focus()
    with frame.expect_navigation():
        keys.press("Enter")
    criteria = tool.locator("fieldset.criterion").all()
    criteria[0].locator("input[type=radio]").first.focus()
    for number, (criterion, points) in enumerate(zip(criteria, scores, strict=True)):
        values = [radio.get_attribute("value") for radio in criterion.locator("input[type=radio]").all()]
        keys.press("Space")
        for _ in range(values.index(points)):
            keys.press("ArrowDown")
        assert criterion.locator("input:checked").get_attribute("value") == points
        keys.press("Tab")
        if criterion.locator("textarea").count():
            keys.type(comment)
            keys.press("Tab")
        assert number + 1 == len(criteria) or frame.evaluate(FOCUS_RING)["tag"] == "INPUT"
    focused = frame.evaluate(FOCUS_RING)
    assert focused["text"] == "Submit review" and focused["outline"], focused
    with frame.expect_navigation():
        keys.press("Enter")
    tool.get_by_text("Review submitted. Thank you!").wait_for()
