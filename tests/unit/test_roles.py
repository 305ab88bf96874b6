"""Which LTI roles count as course staff."""

import pytest

from assessment.models import CourseRole
from lti_tool.launch.roles import course_role, is_platform_administrator

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize("role", [
    LIS + "membership#Instructor",
    LIS + "membership/Instructor#TeachingAssistant",
    LIS + "membership#ContentDeveloper",
    LIS + "membership#Administrator",
    LIS + "institution/person#Administrator",
    LIS + "system/person#Administrator",
    "Instructor",
    "TeachingAssistant",
])
def test_staff_roles_give_staff_rights(role):
    assert course_role([role]) is CourseRole.STAFF


@pytest.mark.parametrize("roles", [
    [LIS + "membership#Learner"],
    ["Learner"],
    [LIS + "membership#Mentor"],
    [LIS + "institution/person#Student", LIS + "system/person#User"],
    ["http://example.com/roles#SuperUser"],
    ["urn:lti:role:ims/lis/Instructor"],
    [],
])
def test_learners_unknown_and_missing_roles_get_student_rights_at_most(roles):
    assert course_role(roles) is CourseRole.STUDENT


def test_one_staff_role_among_several_makes_staff():
    assert course_role([LIS + "membership#Learner", LIS + "membership#Instructor"]) is CourseRole.STAFF


@pytest.mark.parametrize(("roles", "administrator"), [
    ([LIS + "institution/person#Administrator"], True),
    ([LIS + "system/person#Administrator", LIS + "membership#Instructor"], True),
    ([LIS + "system/person#SysAdmin"], True),
    ([LIS + "membership#Administrator"], False),
    ([LIS + "membership#Instructor"], False),
    (["Administrator"], False),
    ([LIS + "institution/person#Administrator#x"], False),
    ([], False),
])
def test_only_institution_and_system_administrators_are_platform_administrators(roles, administrator):
    assert is_platform_administrator(roles) is administrator
