"""The rubric builder: criteria with levels or ranges, edited, reordered, deleted, copied, and locked in review."""

from __future__ import annotations

from sqlalchemy import select

from assessment.assignment_settings import default_settings
from assessment.db import utcnow
from assessment.models import Assignment, Course
from assessment.rubric import Criterion, Level, Rubric
from assessment.services import create_assignment, save_rubric
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import page_text

LEVELS = {"title": "Argument", "description": "Is the claim clear and supported?", "weight": "2",
          "scoring": "levels", "levels": "0 | Missing\n2 | Weak\n4 | Clear and supported"}
RANGE = {"title": "Style", "weight": "1", "scoring": "range", "range_low": "0", "range_high": "10",
         "comment_prompt": "What would make it read better?", "comment_required": "y", "comment_min_length": "20"}


def _rubric(session) -> Rubric | None:
    """The rubric of the assignment at the instructor's link."""
    see_committed(session)
    return session.scalars(select(Assignment).where(Assignment.resource_link_id.is_not(None))).one().rubric


def test_an_instructor_adds_a_levels_criterion_and_a_range_criterion(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    response = instructor.post("/links/{link}/rubric/criteria", RANGE)

    assert response.status_code == 200 and "Criterion saved" in response.text
    argument, style = _rubric(session).criteria
    assert (argument.title, argument.weight) == ("Argument", 2)
    assert [level.points for level in argument.levels] == [0, 2, 4]
    assert style.score_range == (0, 10)
    assert style.comment.required and style.comment.min_length == 20
    assert "Clear and supported" in page_text(response)


def test_a_criterion_is_edited_in_place(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    key = _rubric(session).criteria[0].key

    instructor.post(f"/links/{{link}}/rubric/criteria/{key}", LEVELS | {"title": "Thesis", "weight": "3"})

    (criterion,) = _rubric(session).criteria
    assert (criterion.key, criterion.title, criterion.weight) == (key, "Thesis", 3)


def test_criteria_move_up_and_down_and_are_deleted(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    instructor.post("/links/{link}/rubric/criteria", RANGE)
    first, second = (c.key for c in _rubric(session).criteria)

    instructor.post(f"/links/{{link}}/rubric/criteria/{second}/move/up")
    assert [c.key for c in _rubric(session).criteria] == [second, first]

    instructor.post(f"/links/{{link}}/rubric/criteria/{second}/delete")
    assert [c.key for c in _rubric(session).criteria] == [first]

    instructor.post(f"/links/{{link}}/rubric/criteria/{first}/delete")
    assert _rubric(session) is None
    assert "No criteria yet" in page_text(instructor.get("/links/{link}/rubric"))


def test_a_criterion_without_levels_is_refused_with_a_message(instructor, session):
    counts = row_counts(session)

    response = instructor.post("/links/{link}/rubric/criteria", LEVELS | {"levels": "4 | Only one level"})

    assert response.status_code == 400
    assert "at least two levels" in page_text(response).lower()
    assert _rubric(session) is None and row_counts(session) == counts


def test_malformed_level_lines_and_inverted_ranges_are_explained(instructor, session):
    malformed = instructor.post("/links/{link}/rubric/criteria", LEVELS | {"levels": "four | Great\n1 | Poor"})
    inverted = instructor.post("/links/{link}/rubric/criteria", RANGE | {"range_low": "10", "range_high": "0"})

    assert malformed.status_code == 400 and "Line 1 should start with a number" in page_text(malformed)
    assert inverted.status_code == 400 and "lowest" in page_text(inverted).lower()
    assert _rubric(session) is None


def test_rubric_text_is_escaped_on_the_page(instructor, session):
    response = instructor.post("/links/{link}/rubric/criteria",
                               LEVELS | {"title": "<script>alert('x')</script>Argument"})

    assert "<script>alert" not in response.text and "&lt;script&gt;" in response.text


def test_the_rubric_locks_once_reviewing_starts_and_says_why(instructor, session):
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    instructor.post("/links/{link}/phase", {"phase": "review"})
    key = _rubric(session).criteria[0].key

    page = instructor.get("/links/{link}/rubric")
    refused = instructor.post(f"/links/{{link}}/rubric/criteria/{key}/delete")

    assert "locked because the assignment is in its review phase" in page_text(page)
    assert refused.status_code == 409 and "every review must use the same rubric" in page_text(refused)
    assert len(_rubric(session).criteria) == 1


def test_the_rubric_of_another_assignment_of_the_course_is_copied(instructor, session):
    this = session.scalars(select(Assignment)).one()
    other = create_assignment(session, this.course_id, default_settings("Essay 0", utcnow()))
    save_rubric(session, other.id, Rubric(criteria=(
        Criterion(key="k1", title="Evidence", levels=(Level(0, "None"), Level(5, "Plenty"))),)), utcnow())
    session.commit()

    response = instructor.post("/links/{link}/rubric/copy", {"source": str(other.id)})

    assert response.status_code == 200 and "Rubric copied" in response.text
    assert [c.title for c in _rubric(session).criteria] == ["Evidence"]


def test_a_rubric_cannot_be_copied_from_another_course(instructor, session):
    this = session.scalars(select(Assignment)).one()

    elsewhere = Course(platform_id=this.course.platform_id, context_id="another-course")
    session.add(elsewhere)
    session.flush()
    other = create_assignment(session, elsewhere.id, default_settings("Secret", utcnow()))
    save_rubric(session, other.id, Rubric(criteria=(
        Criterion(key="k1", title="Secret", levels=(Level(0, "a"), Level(1, "b"))),)), utcnow())
    session.commit()

    response = instructor.post("/links/{link}/rubric/copy", {"source": str(other.id)})

    assert response.status_code == 400
    assert _rubric(session) is None


def test_a_nul_byte_in_a_criterion_title_or_its_levels_is_refused_with_a_400_and_nothing_stored(instructor, session):
    before = row_counts(session)

    titled = instructor.post("/links/{link}/rubric/criteria", LEVELS | {"title": "Argu\x00ment"})
    levelled = instructor.post("/links/{link}/rubric/criteria", LEVELS | {"levels": "0 | Missing\n2 | We\x00ak"})

    assert titled.status_code == levelled.status_code == 400
    assert "control characters" in page_text(titled)
    assert row_counts(session) == before


def test_a_tab_and_line_breaks_in_rubric_text_are_accepted(instructor, session):
    response = instructor.post("/links/{link}/rubric/criteria",
                               LEVELS | {"description": "Is the claim\tclear?\r\nIs it supported?"})

    assert response.status_code == 200 and "Criterion saved" in response.text
