"""Every page's first read, built once and run with the launch's ids: each launch reads its own link and person."""

from __future__ import annotations

import pytest

from assessment.db import utcnow
from assessment.errors import NotAllowed
from assessment.models import CourseRole
from lti_tool.launch.provisioning import LaunchIdentity
from lti_tool.views.course import load_launch_view
from tests.support.page_class import page_class


def test_each_launch_reads_its_own_link_person_and_assignment_and_a_stranger_none(session):
    first, second = page_class(session, 3, utcnow()), page_class(session, 4, utcnow())
    launches = [(first, first.student_ids[1], CourseRole.STUDENT), (second, second.staff_id, CourseRole.STAFF),
                (second, second.student_ids[3], CourseRole.STUDENT), (first, first.staff_id, CourseRole.STAFF)]

    for place, person, role in launches:
        view = load_launch_view(session, LaunchIdentity(person, place.course_id, place.link_id, role,
                                                        place.deployment_id))
        assert (view.link.id, view.course.id, view.person.id, view.enrollment.person_id, view.assignment.id) == (
            place.link_id, place.course_id, person, person, place.assignment_id)

    # A person of the other course at this link: nothing to see.
    with pytest.raises(NotAllowed):
        load_launch_view(session, LaunchIdentity(second.student_ids[0], first.course_id, first.link_id,
                                                 CourseRole.STUDENT, first.deployment_id))
