"""A refusal is shown on the page its form came from, with the way on; impossible choices are not offered."""

from __future__ import annotations

import re

from sqlalchemy import select

from assessment.models import Review, ReviewKind, ReviewStatus, Submission
from tests.support.rows import see_committed
from tests.support.visitor import page_text


def _reviewer_options(table_html: str, submission_id: int) -> list[int]:
    row = re.search(rf'name="submission" value="{submission_id}">(.*?)</select>', table_html, re.S)
    return [int(value) for value in re.findall(r'<option value="(\d+)"', row[1])] if row else []


def _pair(session) -> tuple[Submission, int]:
    submission = see_committed(session).scalars(select(Submission).order_by(Submission.id)).first()
    reviewer = session.scalars(select(Submission.author_id).where(Submission.id != submission.id)
                               .order_by(Submission.id)).first()
    return submission, reviewer


def test_add_a_reviewer_offers_only_students_who_do_not_review_that_work_yet(instructor, class_in_review, session):
    submission, reviewer = _pair(session)
    before = _reviewer_options(instructor.get("/links/{link}/allocation").text, submission.id)

    instructor.post("/links/{link}/allocation/assign", {"submission": str(submission.id), "reviewer": str(reviewer)})
    after = _reviewer_options(instructor.get("/links/{link}/allocation").text, submission.id)

    assert reviewer in before and submission.author_id not in before and len(before) == 3
    assert reviewer not in after and len(after) == 2


def test_a_refused_reviewer_is_explained_on_the_allocation_table_not_on_a_bare_error(instructor, class_in_review,
                                                                                  session):
    submission, reviewer = _pair(session)
    form = {"submission": str(submission.id), "reviewer": str(reviewer)}
    instructor.post("/links/{link}/allocation/assign", form)  # another tab added them meanwhile

    again = instructor.post("/links/{link}/allocation/assign", form)
    own_work = instructor.post("/links/{link}/allocation/assign", {"submission": str(submission.id),
                                                                    "reviewer": str(submission.author_id)})

    for response in (again, own_work):
        assert response.status_code == 200 and response.url.endswith("/allocation")
        assert 'role="alert"' in response.text and "Who reviews whom" in response.text
        assert "Error 400" not in page_text(response)
    assert "already reviews this submission" in page_text(again)
    assert "cannot review their own work" in page_text(own_work)
    reviews = see_committed(session).scalars(select(Review).where(Review.submission_id == submission.id,
                                                                  Review.kind == ReviewKind.PEER)).all()
    assert [r.reviewer_id for r in reviews if r.status is not ReviewStatus.REMOVED].count(reviewer) == 1


def test_a_refused_form_sent_from_a_tool_page_comes_back_to_that_page_with_the_reason(instructor, class_in_review,
                                                                                      session):
    submission, _ = _pair(session)
    table = instructor.url("/links/{link}/allocation")
    instructor.post("/links/{link}/phase", {"phase": "setup"})

    refused = instructor.browser.post(instructor.url(f"/links/{{link}}/submissions/{submission.id}/staff-review"),
                                      data={"csrf_token": instructor.csrf_token()}, timeout=10,
                                      headers={"Referer": table})  # a browser names the page the form was on

    assert refused.status_code == 200 and refused.url == table
    assert 'role="alert"' in refused.text and "still being set up" in page_text(refused)
    assert "Who reviews whom" in refused.text
    assert see_committed(session).scalars(select(Review).where(Review.kind == ReviewKind.STAFF)).all() == []


def test_a_refusal_from_elsewhere_keeps_its_own_page_with_a_way_back_to_the_activity(instructor, class_in_review,
                                                                                   session):
    submission, _ = _pair(session)
    instructor.post("/links/{link}/phase", {"phase": "setup"})
    path = f"/links/{{link}}/submissions/{submission.id}/staff-review"

    posts_only = instructor.url("/links/{link}/allocation/assign")  # a URL no page can be fetched from
    for referer in ({"Referer": "https://elsewhere.example/page"}, {"Referer": posts_only}, {}):
        refused = instructor.browser.post(instructor.url(path), data={"csrf_token": instructor.csrf_token()},
                                          timeout=10, headers=referer)

        assert refused.status_code == 409 and "still being set up" in page_text(refused)
        assert f'href="/links/{instructor.link_id}"' in refused.text and "Back to the activity" in refused.text


def test_in_setup_staff_cannot_add_a_reviewer_and_are_told_why_on_the_table(instructor, class_in_review, session):
    submission, reviewer = _pair(session)
    instructor.post("/links/{link}/phase", {"phase": "setup"})

    refused = instructor.post("/links/{link}/allocation/assign", {"submission": str(submission.id),
                                                                   "reviewer": str(reviewer)})

    assert refused.url.endswith("/allocation") and "still being set up" in page_text(refused)
    assert see_committed(session).scalars(select(Review)).all() == []
