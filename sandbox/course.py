"""The demo course: its people, their LIS roles and its resource links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sandbox.profiles import LmsProfile

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
SYSTEM_ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
INSTITUTION_ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


@dataclass(frozen=True)
class Person:
    user_id: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_learner(self) -> bool:
        return LEARNER in self.roles

    @property
    def is_staff(self) -> bool:
        """Instructors and teaching assistants (who carry the Instructor role too) may add activities."""
        return INSTRUCTOR in self.roles

    @property
    def role_label(self) -> str:
        if TEACHING_ASSISTANT in self.roles:
            return "Teaching assistant"
        if INSTRUCTOR in self.roles:
            return "Instructor"
        return "Student" if self.is_learner else "Member"


@dataclass(frozen=True)
class ResourceLink:
    id: str
    title: str
    # The maximum of the line item the gradebook creates with the link (the demo link only).
    score_maximum: float | None = None
    # Where a launch goes (its target_link_uri); None means the tool's registered launch URL.
    url: str | None = None
    # Custom parameters sent with every launch of the link, in the order the tool gave them.
    custom: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Course:
    id: str
    label: str
    title: str
    people: tuple[Person, ...]
    resource_links: tuple[ResourceLink, ...]

    def person(self, user_id: str) -> Person | None:
        return next((p for p in self.people if p.user_id == user_id), None)

    def resource_link(self, link_id: str) -> ResourceLink | None:
        return next((link for link in self.resource_links if link.id == link_id), None)

    @property
    def learners(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.is_learner)

    @property
    def staff(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.is_staff)

    def with_links(self, added: Sequence[ResourceLink]) -> Course:
        """The course with links added after it was set up (through deep linking) after its own."""
        return replace(self, resource_links=self.resource_links + tuple(added))


def _student(number: int, given_name: str, family_name: str, email: str) -> Person:
    return Person(f"student-{number}", given_name, family_name, email, (LEARNER,))


DEMO_COURSE = Course(
    id="sandbox-course-1",
    label="DEMO101",
    title="Demo course: Academic Writing",
    people=(
        Person("instructor-1", "Ada", "Instructor", "ada@example.edu", (INSTRUCTOR,)),
        # The LTI spec asks platforms to send a sub-role together with its principal role.
        Person("ta-1", "Tariq", "Haddad", "tariq.haddad@example.edu", (INSTRUCTOR, TEACHING_ASSISTANT)),
        _student(1, "Amara", "Okafor", "amara.okafor@example.edu"),
        _student(2, "Ben", "Carter", "ben.carter@example.edu"),
        _student(3, "Chloé", "Dubois", "chloe.dubois@example.edu"),
        _student(4, "Daniel", "Kim", "daniel.kim@example.edu"),
        _student(5, "Elena", "Rossi", "elena.rossi@example.edu"),
        _student(6, "Farhan", "Siddiqui", "farhan.siddiqui@example.edu"),
    ),
    resource_links=(ResourceLink("sandbox-link-1", "Peer review: Essay 1", 100.0),),
)


TEAM_PROJECT = ResourceLink("sandbox-link-2", "Team project: Poster", 100.0)


# Moodle's site administrator, launching into a course they do not teach: mod/lti/locallib.php lti_get_ims_role
# gives Instructor (they have every capability), drops Learner, and adds the system and institution
# Administrator roles (urn:lti:sysrole / urn:lti:instrole, sent in LIS v2 form in LTI 1.3 launches).
MOODLE_SITE_ADMIN = Person("admin-1", "Admin", "User", "admin@example.edu",
                           (INSTRUCTOR, SYSTEM_ADMINISTRATOR, INSTITUTION_ADMINISTRATOR))


def with_extra_learners(course: Course, count: int) -> Course:
    """The course with `count` more students after its own, numbered on from them."""
    first = len(course.learners) + 1
    added = tuple(_student(n, f"Learner{n}", "Extra", f"learner{n}@example.edu") for n in range(first, first + count))
    return replace(course, people=(*course.people, *added))


def with_people(course: Course, added: Sequence[Person]) -> Course:
    """The course with people enrolled while it runs (on the roster page) after its own."""
    return replace(course, people=(*course.people, *added)) if added else course


def next_learner(course: Course, given_name: str, family_name: str, email: str) -> Person:
    """A student to enrol in the course, numbered on from its students (student-7 after the demo's six)."""
    return _student(len(course.learners) + 1, given_name, family_name, email)


def with_team_project(course: Course) -> Course:
    """The course with the team project's link after its own."""
    return replace(course, resource_links=(*course.resource_links, TEAM_PROJECT))


def course_as_profile(course: Course, profile: LmsProfile) -> Course:
    """The demo course as the profile's LMS would describe it: its context id, and Moodle's site administrator."""
    if profile.context_id is not None:
        course = replace(course, id=profile.context_id)
    if profile.is_moodle:
        course = replace(course, people=(*course.people, MOODLE_SITE_ADMIN))
    return course
