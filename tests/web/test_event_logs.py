"""Releasing grades and posting them are logged as events with ids, under the request id of the release."""

from __future__ import annotations

from tests.support.log_capture import captured_logs
from tests.web.conftest import review_everything


def test_a_release_and_each_posting_it_sends_are_logged_under_the_release_request_id(
        lms, instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "mean"})

    with captured_logs() as captured:
        instructor.post("/links/{link}/grades/release", {})

    [released] = captured.events("grades.released")
    assert released["postings"] == 4 and isinstance(released["assignment_id"], int)
    posted = captured.events("grade.posted")
    assert len(posted) == 4 and len({line["posting_id"] for line in posted}) == 4
    # Without a broker the postings run inside the release request, and say so by its id.
    assert {line["request_id"] for line in posted} == {released["request_id"]}
    for subject in class_in_review:
        assert subject not in captured.text
