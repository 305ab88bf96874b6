"""People, courses, enrollments and resource links: who takes part in what."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.db import Base, JSONDocument, utcnow


class CourseRole(enum.StrEnum):
    """What a person may do in a course; unknown LMS roles map to STUDENT at most."""

    STAFF = "staff"
    STUDENT = "student"


class Person(Base):
    """Someone known to one platform by its stable `sub`."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.given_name, self.family_name) if part)
        return self.name or full or self.email or "Unnamed participant"


class Course(Base):
    """An LMS context; a launch without one gets a course of its own resource link."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course", passive_deletes=True)
    resource_links: Mapped[list[ResourceLink]] = relationship(back_populates="course", passive_deletes=True)

    @property
    def display_title(self) -> str:
        return self.title or self.label or "Untitled course"


class Enrollment(Base):
    """A person's membership of a course, with the LMS roles of their latest launch."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("person_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    role: Mapped[CourseRole] = mapped_column(
        Enum(CourseRole, native_enum=False, length=16, values_callable=lambda roles: [r.value for r in roles])
    )
    lti_roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    last_launch_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    course: Mapped[Course] = relationship(back_populates="enrollments")

    @property
    def is_staff(self) -> bool:
        return self.role is CourseRole.STAFF


class ResourceLink(Base):
    """A placement of the tool in a course, with the service claims the workers need."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(String(4096))
    ags_claim: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    nrps_claim: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="resource_links")

    @property
    def display_title(self) -> str:
        return self.title or "Untitled activity"
