"""The objects one sandbox app shares across its requests, and how a view reaches them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from sandbox.config import SandboxConfig
from sandbox.course import Course
from sandbox.endpoints import Endpoints
from sandbox.platform import PlatformSetup, SandboxPlatform
from sandbox.store import GradebookStore

EXTENSION_KEY = "sandbox"


@dataclass(frozen=True)
class Sandbox:
    config: SandboxConfig
    endpoints: Endpoints
    course: Course
    store: GradebookStore
    platform_setup: PlatformSetup

    def new_platform(self) -> SandboxPlatform:
        return SandboxPlatform(setup=self.platform_setup)

    def link_line_item_url(self, resource_link_id: str) -> str | None:
        """The URL of the line item the gradebook created for a resource link, if it still exists."""
        for line_item in self.store.line_items():
            if line_item.get("resourceLinkId") == resource_link_id:
                return self.endpoints.lineitem(self.course.id, line_item["id"])
        return None


def current_sandbox() -> Sandbox:
    return current_app.extensions[EXTENSION_KEY]
