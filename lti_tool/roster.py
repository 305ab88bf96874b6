"""Bringing a course's roster from the LMS (NRPS) into people and enrollments, without a request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from assessment.models import Course, CourseRole, Enrollment, Person
from lti_tool.launch.registration import is_lms_identifier
from lti_tool.launch.roles import course_role
from lti_tool.lms_gradebooks import is_canvas
from lti_tool.registry import Platform

ACTIVE = "Active"
# A refusal's cause, when the LMS's answer tells it (kept with the sync's outcome, read by the People page).
CANVAS_SCOPE_MISSING = "canvas_scope_missing"
# What a roster entry may tell about a person besides their id.
PERSON_FIELDS = ("name", "given_name", "family_name", "email")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tabs and line breaks become spaces below


def lms_text(value: object, limit: int = 255) -> str | None:
    """A name, address or title the LMS sent, as kept: without control characters (PostgreSQL refuses NUL, and no
    one's name holds one), trimmed and capped at `limit` characters, its column's size; None when it is no text or
    nothing is left."""
    if not isinstance(value, str):
        return None
    return " ".join(_CONTROL.sub("", value).split())[:limit] or None


@dataclass(frozen=True)
class RosterChanges:
    added: int
    updated: int


def apply_roster(session: Session, course: Course, members: Iterable[dict[str, Any]]) -> RosterChanges:
    """Create or update the people and enrollments the LMS lists; inactive members are left as they are.

    Written in batches (one INSERT of the people missing, one of the enrollments missing, then the changes), not
    row by row: a course of a thousand students is synced in a request's time."""
    people = {p.subject: p for p in session.scalars(select(Person).where(Person.platform_id == course.platform_id))}
    enrolled = {e.person_id: e for e in session.scalars(select(Enrollment).where(Enrollment.course_id == course.id))}
    platform = session.get(Platform, course.platform_id)
    assistants_are_staff = platform is not None and platform.learner_assistants_are_staff
    listed: dict[str, tuple[CourseRole, list[str], dict[str, str]]] = {}
    for member in members:
        subject = member.get("user_id")
        if isinstance(subject, int) and not isinstance(subject, bool):
            subject = str(subject)  # a platform that numbers its users in NRPS: its launches carry the id as text
        if not is_lms_identifier(subject) or member.get("status", ACTIVE) != ACTIVE:
            continue  # a user id no launch could carry (control characters, over 255 characters) names nobody
        roles = [str(role) for role in member.get("roles") or []]
        role = course_role(roles, learner_assistants_are_staff=assistants_are_staff)
        if role is None:
            continue  # mentors, observers and guests are no part of the course's work, as at launch
        details = {field: value for field in PERSON_FIELDS if (value := lms_text(member.get(field)))}
        listed[subject] = (role, roles, details)

    # Another sync (or a launch) may add the same people at this moment: insert or keep theirs.
    new_subjects = [subject for subject in listed if subject not in people]
    _insert_missing(session, Person, [{"platform_id": course.platform_id, "subject": subject, **listed[subject][2]}
                                      for subject in new_subjects], ("platform_id", "subject"))
    for chunk in _chunks(new_subjects):
        people.update((p.subject, p) for p in session.scalars(
            select(Person).where(Person.platform_id == course.platform_id, Person.subject.in_(chunk))))
    for subject, (_, _, details) in listed.items():
        for field, value in details.items():
            if getattr(people[subject], field) != value:
                setattr(people[subject], field, value)
    session.flush()

    # Never launched yet: known from the roster, so progress views and grades include them; "last opened" stays
    # empty until a real launch.
    new_ids = [people[subject].id for subject in listed if people[subject].id not in enrolled]
    new_id_set = set(new_ids)
    now = datetime.now(UTC)
    added = _insert_missing(session, Enrollment, [
        {"person_id": people[subject].id, "course_id": course.id, "role": role, "lti_roles": roles,
         "last_launch_at": None, "enrolled_at": now}
        for subject, (role, roles, _) in listed.items() if people[subject].id in new_id_set
    ], ("person_id", "course_id"))
    for chunk in _chunks(new_ids):
        enrolled.update((e.person_id, e) for e in session.scalars(
            select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.person_id.in_(chunk))))
    updated = 0
    for subject, (role, roles, _) in listed.items():
        enrollment = enrolled[people[subject].id]
        updated += enrollment.person_id not in new_id_set
        if enrollment.role != role:
            enrollment.role = role
        if enrollment.lti_roles != roles:
            enrollment.lti_roles = roles
    session.flush()
    return RosterChanges(added=added, updated=updated)


def _chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_missing(session: Session, model: type[Person] | type[Enrollment], rows: list[dict[str, Any]],
                    unique: tuple[str, ...]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike), in chunks; how many rows this call added."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = 0
    for chunk in _chunks(rows):
        result = session.execute(insert(model).values(chunk).on_conflict_do_nothing(index_elements=list(unique)))
        added += int(getattr(result, "rowcount", 0) or 0)
    return added


def refusal_cause(platform: Platform, status: int | None, reason: object) -> str | None:
    """What a roster refusal means, when more can be said than its status.

    Canvas answers 401 "Insufficient permissions" to a token without the NRPS scope (canvas-lms
    app/controllers/lti/ims/concerns/lti_services.rb verify_access_scope): peerlti's credentials were accepted,
    its developer key just does not grant the roster."""
    if status == 401 and is_canvas(platform) and str(reason).strip().lower() == "insufficient permissions":
        return CANVAS_SCOPE_MISSING
    return None
