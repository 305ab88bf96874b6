"""The objects one sandbox app shares across its requests, and how a view reaches them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from sandbox.config import SandboxConfig
from sandbox.course import Course, ResourceLink
from sandbox.deep_link_requests import PendingDeepLinks
from sandbox.endpoints import Endpoints
from sandbox.platform import PlatformSetup, SandboxPlatform
from sandbox.store import GradebookStore

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

    @property
    def course(self) -> Course:
        """The course as it stands now, with every link added through deep linking."""
        return self.fixed_course.with_links([_stored_link(link) for link in self.store.resource_links()])

    def new_platform(self) -> SandboxPlatform:
        return SandboxPlatform(setup=self.platform_setup)

    def link_line_item_url(self, resource_link_id: str) -> str | None:
        """The URL of the line item the gradebook created for a resource link, if it still exists."""
        for line_item in self.store.line_items():
            if line_item.get("resourceLinkId") == resource_link_id:
                return self.endpoints.lineitem(self.fixed_course.id, line_item["id"])
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
