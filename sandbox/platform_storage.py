"""The platform side of LTI platform storage: how the course page answers the tool's lti.* postMessages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, render_template

from sandbox.config import SandboxConfig

blueprint = Blueprint("platform_storage", __name__)

# The course page itself keeps the data, so the tool addresses its parent window.
STORAGE_TARGET = "_parent"
# on: answers as the specification says; off: no lti_storage_target, no answers (cookies only). The others are
# faults for tests: silent (offered, never answered), other-origin (answered from another origin), tampered
# (lti.get_data answers a different value than was stored).
STORAGE_MODES = ("on", "off", "silent", "other-origin", "tampered")
OFFERING_MODES = ("on", "silent", "other-origin", "tampered")
LOOPBACK_TWINS = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}


def storage_mode(requested: str | None, config: SandboxConfig) -> str:
    if requested in STORAGE_MODES:
        return requested
    return "on" if config.platform_storage else "off"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def other_origin(base_url: str) -> str:
    """This sandbox under its other loopback name: the same server, but another origin to answer from."""
    parts = urlsplit(base_url)
    twin = LOOPBACK_TWINS.get(parts.hostname or "", parts.hostname or "")
    return f"{parts.scheme}://{twin}:{parts.port}" if parts.port else f"{parts.scheme}://{twin}"


@blueprint.get("/storage-relay")
def storage_relay() -> str:
    """A frame that forwards the course page's answers to the tool from its own (wrong) origin."""
    return render_template("storage_relay.html")
