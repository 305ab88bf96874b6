"""Which LTI roles count as course staff, which as students, and which have no part in an activity."""

import pytest

from assessment.models import CourseRole
from lti_tool.launch.roles import course_role, is_platform_administrator

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
ASSISTANT = LIS + "membership/Instructor#TeachingAssistant"


@pytest.mark.parametrize("role", [
    LIS + "membership#Instructor",
    ASSISTANT,
    LIS + "membership/Instructor#Grader",
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
    [LEARNER],
    ["Learner"],
    [LIS + "membership/Learner#Learner"],
    [LIS + "membership/Learner#NonCreditLearner"],
    [LEARNER, LIS + "institution/person#Student", LIS + "system/person#User"],
])
def test_learner_roles_give_student_rights(roles):
    assert course_role(roles) is CourseRole.STUDENT


@pytest.mark.parametrize("roles", [
    [LIS + "membership#Mentor"],
    [LIS + "membership/Mentor#Advisor"],
    ["Mentor"],
    [LIS + "membership/Manager#Observer"],
    [LIS + "institution/person#Guest"],
    [LIS + "institution/person#ProspectiveStudent"],
    [LIS + "institution/person#Student", LIS + "system/person#User"],
    ["http://example.com/roles#SuperUser"],
    ["urn:lti:role:ims/lis/Instructor"],
    [LIS + "membership#Member"],
    [],
], ids=["mentor", "mentor sub-role", "short mentor", "observer", "guest", "prospective student",
        "institution student only", "unknown", "LTI 1.1 urn", "member", "no roles"])
def test_mentors_observers_guests_unknown_and_missing_roles_have_no_part(roles):
    assert course_role(roles) is None


def test_a_learner_sub_role_named_instructor_is_a_learner_not_course_staff():
    assert course_role([LIS + "membership/Learner#Instructor"]) is CourseRole.STUDENT


def test_one_staff_role_among_several_makes_staff():
    assert course_role([LEARNER, LIS + "membership#Instructor"]) is CourseRole.STAFF


@pytest.mark.parametrize("assistant", [ASSISTANT, "TeachingAssistant", LIS + "membership#TeachingAssistant"])
def test_a_learner_who_is_also_a_teaching_assistant_is_a_student_unless_the_platform_says_staff(assistant):
    assert course_role([LEARNER, assistant]) is CourseRole.STUDENT
    assert course_role([LEARNER, assistant], learner_assistants_are_staff=True) is CourseRole.STAFF


def test_a_learner_assistant_who_is_also_an_instructor_stays_staff():
    assert course_role([LEARNER, ASSISTANT, LIS + "membership#Instructor"]) is CourseRole.STAFF


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
