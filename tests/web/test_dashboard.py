"""The staff dashboard: who may open it and its exports, what it shows of a class, sorting, filtering, CSV and escaping."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import select, update

from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    FlagReason,
    Grade,
    GradePosting,
    Person,
    PostingStatus,
    Review,
    ReviewFlag,
    ReviewStatus,
    Submission,
)
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.conftest import review_everything

# (method, path, data, status for staff, status for a student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}", None, 200, 200),
    ("GET", "/links/{link}?sort=grade&dir=desc&filter=attention&q=x", None, 200, 200),
    ("GET", "/links/{link}?sort=%27%3B--&dir=sideways&filter=%3Cscript%3E&q=" + "x" * 500, None, 200, 200),
    ("GET", "/links/{link}?page=%C2%B2&q=%09", None, 200, 200),
    ("GET", "/links/{link}?page=99999999999", None, 200, 200),
    ("GET", "/links/{link}/export/grades.csv", None, 200, 403),
    ("GET", "/links/{link}/export/reviews.csv", None, 200, 403),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_the_dashboard_and_its_exports_admit_exactly_the_visitors_they_should(lms, instructor, kind):
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], ROUTES, {}, instructor)

    assert observed == expected


def test_a_student_landing_on_the_activity_never_sees_the_dashboard(class_in_review):
    page = class_in_review["student-1"].get("/links/{link}")

    assert page.status_code == 200
    assert 'id="student-table"' not in page.text and "export/grades.csv" not in page.text


@pytest.fixture
def graded_class(lms, instructor, class_in_review, session) -> dict[str, Visitor]:
    """The four students reviewed each other; student-1 scores everyone 10 points high; grades computed by mean."""
    review_everything(class_in_review, session)
    see_committed(session)
    harsh = session.scalars(select(Person.id).where(Person.subject == "student-1")).one()
    session.execute(update(Review).where(Review.reviewer_id == harsh).values(score=Review.score + 10))
    session.commit()
    absent = Visitor(lms, "student-5")
    absent.launch()  # opened the activity, handed in nothing
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    return class_in_review


def _people(session) -> dict[str, Person]:
    return {person.subject: person for person in see_committed(session).scalars(select(Person))}


def _row_order(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="student-(\d+)"', html)]


def test_the_dashboard_shows_the_progress_the_queues_and_every_student_of_a_graded_class(instructor, graded_class,
                                                                                       session):
    page = instructor.get("/links/{link}")
    text = page_text(page)

    assert page.status_code == 200
    assert "4 of 5 students handed in work" in text
    assert "12 of 12 required reviews done (4 of 4 reviewers finished)" in text
    assert "12 of 12 reviews received (4 of 4 submissions have their 3)" in text
    assert "0 of 5 grades released" in text
    assert re.search(r'<progress id="progress-submitted" max="5" value="4"', page.text)
    assert len(_row_order(page.text)) == 5
    assert "not handed in" in text and "on time" in text
    assert "Release the grades to students and the gradebook." in text
    for target in ("/settings", "/rubric", "/calibration/examples", "/submissions", "/allocation", "/grades",
                   "/flags", "/people", "/export/grades.csv", "/export/reviews.csv"):
        assert target in page.text


def test_each_chart_is_an_svg_image_with_a_title_a_description_and_its_data_as_a_table(instructor, graded_class):
    page = instructor.get("/links/{link}").text

    for chart in ("chart-grades", "chart-reviewers"):
        assert re.search(rf'<svg class="chart"[^>]*role="img" aria-labelledby="{chart}-title {chart}-desc"', page)
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
    assert "Final grades of 5 students, out of 50 points" in page
    assert page.count("<details>") >= 2 and page.count('<circle class="dot"') == 4
    assert "1 lenient and 0 harsh" in page


def test_the_student_table_sorts_both_ways_and_filters(instructor, graded_class, session):
    people = _people(session)
    finals = {grade.person_id: grade.final for grade in session.scalars(select(Grade))}

    by_grade_down = _row_order(instructor.get("/links/{link}?sort=grade&dir=desc").text)
    by_grade_up = _row_order(instructor.get("/links/{link}?sort=grade").text)
    received_down = _row_order(instructor.get("/links/{link}?sort=received&dir=desc").text)
    received_up = _row_order(instructor.get("/links/{link}?sort=received").text)
    absent_only = _row_order(instructor.get("/links/{link}?filter=not_handed_in").text)
    searched = _row_order(instructor.get("/links/{link}?q=" + people["student-3"].display_name.split()[0]).text)

    assert [finals[p] for p in by_grade_down] == sorted(finals.values(), reverse=True)
    assert [finals[p] for p in by_grade_up] == sorted(finals.values())
    assert received_down[-1] == received_up[-1] == people["student-5"].id, "no work: last in both directions"
    assert absent_only == [people["student-5"].id]
    assert people["student-3"].id in searched and people["student-5"].id not in searched


def test_unknown_sort_and_filter_values_are_ignored(instructor, graded_class):
    plain = _row_order(instructor.get("/links/{link}").text)

    odd = instructor.get("/links/{link}?sort=password&dir=up&filter=everyone%27--")

    assert odd.status_code == 200 and _row_order(odd.text) == plain


def _csv(response) -> list[dict[str, str]]:
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_grades_export_has_a_line_per_student_with_the_grade_and_its_parts(instructor, graded_class, session):
    rows = _csv(instructor.get("/links/{link}/export/grades.csv"))

    assert len(rows) == 5
    handed_in = [row for row in rows if row["Submission"] == "handed in"]
    assert len(handed_in) == 4 and all(float(row["Final grade"]) > 0 for row in handed_in)
    assert all(row["Points possible"] == "50.0" and row["Gradebook"] == "not released" for row in rows)
    assert {"Peer score", "Uncertainty (±)", "Reviewing points", "Late deduction", "Days late"} <= set(rows[0])


def test_the_reviews_export_has_every_review_with_its_scores_and_comments(instructor, graded_class, session):
    rows = _csv(instructor.get("/links/{link}/export/reviews.csv"))

    assert len(rows) == 12
    assert {"Argument: score", "Style: score", "Style: comment", "Total", "Submission"} <= set(rows[0])
    assert all(row["Status"] == "submitted" and row["Style: comment"] == "Vary the sentence length." for row in rows)
    assert all(row["Reviewer"] != row["Author"] for row in rows)


def test_exported_text_that_a_spreadsheet_would_run_as_a_formula_stays_text(instructor, graded_class, session):
    people = _people(session)
    people["student-2"].name = '=HYPERLINK("http://evil.example","click")'
    people["student-3"].name = "@SUM(1+1)"
    review = session.scalars(select(Review).where(Review.status == ReviewStatus.SUBMITTED)).first()
    style = next(key for key in review.comments)
    review.comments = {style: "-2+3 is what this deserves"}
    session.commit()

    grades = instructor.get("/links/{link}/export/grades.csv").content.decode("utf-8-sig")
    reviews = instructor.get("/links/{link}/export/reviews.csv").content.decode("utf-8-sig")

    assert """"'=HYPERLINK(""http://evil.example"",""click"")\"""" in grades and "'@SUM(1+1)" in grades
    assert "'-2+3 is what this deserves" in reviews
    cells = [cell for row in csv.reader(io.StringIO(grades + reviews)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@") or re.match(r"-[^\d]", cell)]


def test_a_hostile_student_name_is_escaped_in_the_table_the_queues_and_the_charts(instructor, graded_class, session):
    people = _people(session)
    people["student-1"].name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    session.commit()

    page = instructor.get("/links/{link}").text

    assert "<script>alert" not in page and "<img src=x" not in page
    table, chart = page.split('id="student-table"')[1], page.split('id="chart-reviewers"')[1].split("</svg>")[0]
    assert "&lt;script&gt;alert" in table and "&lt;script&gt;alert" in chart


def test_calibration_flags_and_refused_grades_reach_the_dashboard(instructor, graded_class, session):
    people = _people(session)
    assignment = session.scalars(select(Assignment)).one()
    assignment.calibration_examples_required = 1
    example = CalibrationExample(assignment_id=assignment.id, title="Model essay", text_html="<p>Model</p>",
                                 reference={criterion.key: criterion.high for criterion in assignment.rubric.criteria})
    session.add(example)
    session.flush()
    for subject, accuracy in (("student-1", 0.9), ("student-2", 0.4)):
        session.add(CalibrationAttempt(example_id=example.id, student_id=people[subject].id, number=1,
                                       selections=example.reference, accuracy=accuracy))
    review = session.scalars(select(Review).join(Submission, Review.submission_id == Submission.id)
                             .where(Submission.author_id == people["student-3"].id)).first()
    session.add(ReviewFlag(review_id=review.id, reason=FlagReason.INAPPROPRIATE, explanation="A rude remark about me."))
    session.add(GradePosting(assignment_id=assignment.id, person_id=people["student-4"].id, release_id="r1",
                             score_given=40, score_maximum=50, grading_progress="FullyGraded", timestamp=datetime.now(UTC),
                             status=PostingStatus.FAILED, last_error="422 user is not a student"))
    session.commit()

    page = instructor.get("/links/{link}")
    text = page_text(page)
    flagged = _row_order(instructor.get("/links/{link}?filter=flagged").text)

    assert "1 of 5 students finished calibration" in text
    assert re.search(r'<svg class="chart"[^>]*aria-labelledby="chart-calibration-title chart-calibration-desc"', page.text)
    assert "Calibration accuracy of 2 students who practised; 1 reached the pass mark of 80%" in text
    assert "90%" in text and "40%" in text
    assert "Answer 1 flagged review." in text and "A rude remark about me." in text
    assert "1 grade was refused by the gradebook" in text and "422 user is not a student" in text
    assert flagged == [people["student-3"].id]


def _triage(page) -> str:
    section = re.search(r'<section class="card" id="triage".*?</section>', page.text, re.S)[0]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)))


def test_triage_lists_flags_wide_disagreement_and_lenient_reviewers_and_an_override_settles_the_grade(
        instructor, graded_class, session):
    people = _people(session)
    assignment = session.scalars(select(Assignment)).one()
    reviews_of_2 = session.scalars(select(Review).join(Submission, Review.submission_id == Submission.id)
                                   .where(Submission.author_id == people["student-2"].id).order_by(Review.id)).all()
    for review, share in zip(reviews_of_2, (1.0, 0.758, 0.458), strict=True):
        review.score = share * assignment.points_possible
    session.commit()
    instructor.post("/links/{link}/grades/run", {"method": "mean"})
    # A flag raised after grading ran, as happens once students read their feedback.
    review_of_3 = session.scalars(select(Review).join(Submission, Review.submission_id == Submission.id)
                                  .where(Submission.author_id == people["student-3"].id)).first()
    session.add(ReviewFlag(review_id=review_of_3.id, reason=FlagReason.UNFAIR, explanation="It ignores my evidence."))
    session.commit()

    triage = _triage(instructor.get("/links/{link}"))

    assert "No grade is in doubt" not in triage
    assert "open flag" in triage
    assert "wide disagreement" in triage
    assert "Reviewers to check" in triage and "lenient" in triage

    instructor.post(f"/links/{{link}}/grades/{people['student-2'].id}/override",
                    {"total": "40", "reason": "Read it myself."})
    settled = _triage(instructor.get("/links/{link}"))
    assert "wide disagreement" not in settled and "open flag" in settled
    grades = page_text(instructor.get("/links/{link}/grades"))
    assert "wide disagreement" not in grades and "open flag" in grades
