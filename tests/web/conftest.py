"""Fixtures for pages of an assignment: an instructor who set one up at the sandbox's link."""

from __future__ import annotations

import pytest

from tests.support.visitor import Visitor


@pytest.fixture
def instructor(lms) -> Visitor:
    """The sandbox instructor, launched into the demo link, with a peer assessment created there."""
    visitor = Visitor(lms, "instructor-1")
    visitor.launch()
    response = visitor.post("/links/{link}/assignment",
                            {"title": "Essay 1 peer review", "points_possible": "50", "timezone": "Europe/Paris"})
    assert response.status_code == 200 and "Settings of" in response.text, response.text[:500]
    return visitor


@pytest.fixture
def student(lms, instructor) -> Visitor:
    visitor = Visitor(lms, "student-1")
    visitor.launch()
    return visitor
