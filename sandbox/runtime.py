"""The objects one sandbox app shares across its requests, and how a view reaches them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from sandbox.config import SandboxConfig
from sandbox.course import Course, Person, ResourceLink, next_learner, with_people
from sandbox.deep_link_requests import PendingDeepLinks
from sandbox.endpoints import Endpoints
from sandbox.mail import Mailbox
from sandbox.platform import PlatformSetup, SandboxPlatform
from sandbox.store import GradebookStore
from sandbox.throttle import Throttle
from sandbox.tool_keys import ToolKeySet
from sandbox.tool_registrations import ToolRegistration, ToolRegistrations, configured_tool

EXTENSION_KEY = "sandbox"


@dataclass(frozen=True)
class Sandbox:
    config: SandboxConfig
    endpoints: Endpoints
    # The course as set up: its people and its own links, without those added through deep linking.
    fixed_course: Course
    store: GradebookStore
    platform_setup: PlatformSetup
    deep_links: PendingDeepLinks
    tools: ToolRegistrations
    # Canvas's request throttle, when the sandbox behaves like Canvas.
    throttle: Throttle | None = None
    # What the sandbox's mail server received (`python -m sandbox serve --smtp-port`), shown as each person's inbox.
    mailbox: Mailbox = field(default_factory=Mailbox)
    # Students enrolled on the roster page while the sandbox runs (kept until it restarts): late arrivals.
    _enrolled: list[Person] = field(default_factory=list, repr=False)
    _enrolled_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _tool_key_sets: dict[str, ToolKeySet] = field(default_factory=dict, repr=False)
    _tool_key_sets_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def course(self) -> Course:
        """The course as it stands now, with every student enrolled and every link added through deep linking."""
        with self._enrolled_lock:
            enrolled = tuple(self._enrolled)
        return with_people(self.fixed_course, enrolled).with_links(
            [_stored_link(link) for link in self.store.resource_links()])

    def enrol(self, given_name: str, family_name: str, email: str) -> Person | None:
        """Enrol a student under the next number; None when someone in the course already has the address."""
        with self._enrolled_lock:
            course = with_people(self.fixed_course, self._enrolled)
            if any(person.email.casefold() == email.casefold() for person in course.people):
                return None
            person = next_learner(course, given_name, family_name, email)
            self._enrolled.append(person)
            return person

    @property
    def service_course_id(self) -> str:
        """The course's id in service URLs: Canvas uses its number there, and an opaque id in the context claim."""
        return self.endpoints.profile.service_course_id or self.fixed_course.id

    def tool(self, client_id: str) -> ToolRegistration | None:
        """The tool registered under this client id: the configured one or one registered dynamically."""
        if client_id == self.config.client_id:
            return configured_tool(self.config, self.endpoints)
        return self.tools.find(client_id)

    def new_platform(self, tool: ToolRegistration | None = None) -> SandboxPlatform:
        """The platform as one tool sees it (by default the configured tool)."""
        if tool is None or tool.client_id == self.config.client_id:
            return SandboxPlatform(setup=self.platform_setup)
        return SandboxPlatform(setup=self.platform_setup, tool=tool, tool_keys=self._key_set(tool))

    def _key_set(self, tool: ToolRegistration) -> ToolKeySet:
        # One cache per tool, so its keys are not fetched again for every token request.
        with self._tool_key_sets_lock:
            key_set = self._tool_key_sets.get(tool.client_id)
            if key_set is None or key_set.jwks_url != tool.jwks_url:
                key_set = ToolKeySet(tool.jwks_url, self.config.verify_tls, None)
                self._tool_key_sets[tool.client_id] = key_set
            return key_set

    def link_line_item_url(self, resource_link_id: str) -> str | None:
        """The URL of the line item the gradebook created for a resource link, if it still exists."""
        for line_item in self.store.line_items():
            if line_item.get("resourceLinkId") == resource_link_id:
                return self.endpoints.lineitem(self.service_course_id, line_item["id"])
        return None


def current_sandbox() -> Sandbox:
    return current_app.extensions[EXTENSION_KEY]


def _stored_link(stored: dict[str, Any]) -> ResourceLink:
    return ResourceLink(
        id=stored["id"],
        title=stored["title"],
        url=stored.get("url"),
        custom=tuple(stored.get("custom", {}).items()),
    )
