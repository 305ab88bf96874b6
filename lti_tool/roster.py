"""Bringing a course's roster from the LMS (NRPS) into people and enrollments, without a request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from assessment.models import Course, Enrollment, Person
from lti_tool.launch.roles import course_role
from lti_tool.registry import Platform

ACTIVE = "Active"


@dataclass(frozen=True)
class RosterChanges:
    added: int
    updated: int


def apply_roster(session: Session, course: Course, members: Iterable[dict[str, Any]]) -> RosterChanges:
    """Create or update the people and enrollments the LMS lists; inactive members are left as they are."""
    people = {p.subject: p for p in session.scalars(select(Person).where(Person.platform_id == course.platform_id))}
    enrolled = {e.person_id: e for e in session.scalars(select(Enrollment).where(Enrollment.course_id == course.id))}
    platform = session.get(Platform, course.platform_id)
    assistants_are_staff = platform is not None and platform.learner_assistants_are_staff
    added = updated = 0
    for member in members:
        subject = member.get("user_id")
        if not subject or member.get("status", ACTIVE) != ACTIVE:
            continue
        roles = [str(role) for role in member.get("roles") or []]
        role = course_role(roles, learner_assistants_are_staff=assistants_are_staff)
        if role is None:
            continue  # mentors, observers and guests are no part of the course's work, as at launch
        person = people.get(subject)
        if person is None:
            # Another sync (or a launch) may add the same person at this moment: insert or keep theirs.
            _insert_missing(session, Person, {"platform_id": course.platform_id, "subject": subject},
                            ("platform_id", "subject"))
            person = session.scalars(select(Person).where(Person.platform_id == course.platform_id,
                                                          Person.subject == subject)).one()
            people[subject] = person
        for field in ("name", "given_name", "family_name", "email"):
            value = member.get(field)
            if isinstance(value, str) and value.strip():
                setattr(person, field, value.strip()[:255])
        session.flush()
        enrollment = enrolled.get(person.id)
        if enrollment is None:
            # Never launched yet: known from the roster, so progress views and grades include them; "last opened"
            # stays empty until a real launch.
            inserted = _insert_missing(session, Enrollment, {"person_id": person.id, "course_id": course.id,
                                                             "role": role, "last_launch_at": None},
                                       ("person_id", "course_id"))
            enrollment = session.scalars(select(Enrollment).where(Enrollment.person_id == person.id,
                                                                  Enrollment.course_id == course.id)).one()
            enrolled[person.id] = enrollment
            added += inserted
        else:
            updated += 1
        enrollment.role = role
        enrollment.lti_roles = roles
    session.flush()
    return RosterChanges(added=added, updated=updated)


def _insert_missing(session: Session, model: type[Person] | type[Enrollment], values: dict[str, Any],
                    unique: tuple[str, ...]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike); 1 when this call added the row."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique)))
    return int(getattr(result, "rowcount", 0) or 0)
