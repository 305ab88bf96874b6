"""The sandbox LMS's Flask application factory."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from sandbox import deep_link_return, dynamic_registration, launch, pages, platform_storage
from sandbox.config import SandboxConfig
from sandbox.course import DEMO_COURSE, course_as_profile, with_extra_learners, with_team_project
from sandbox.deep_link_requests import PendingDeepLinks
from sandbox.endpoints import Endpoints
from sandbox.keys import load_or_create_platform_key
from sandbox.platform import PlatformSetup
from sandbox.runtime import EXTENSION_KEY, Sandbox
from sandbox.service_routes import add_profile_routes
from sandbox.store import GradebookStore
from sandbox.throttle import Throttle, ThrottleSettings, guard_lti_services
from sandbox.tool_keys import ToolKeySet
from sandbox.tool_registrations import ToolRegistrations

# The tool runs on the same host on another port and cookies ignore ports: keep names apart.
SESSION_COOKIE_NAME = "sandbox_session"


def create_sandbox_app(config: SandboxConfig) -> Flask:
    instance_path = Path(config.instance_path).resolve()
    instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    endpoints = Endpoints.from_config(config)

    app = Flask(__name__, instance_path=str(instance_path))
    app.config.update(
        # Without a configured key, sessions (only "who am I acting as") last until a restart.
        SECRET_KEY=config.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=endpoints.base_url.startswith("https://"),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]

    course = with_extra_learners(course_as_profile(DEMO_COURSE, endpoints.profile), config.extra_learners)
    if config.team_project:
        course = with_team_project(course)
    store = GradebookStore(instance_path, fixed_link_ids=[link.id for link in course.resource_links])
    if store.is_new:
        for link in course.resource_links:
            store.create_line_item({"label": link.title, "scoreMaximum": link.score_maximum, "resourceLinkId": link.id})
    setup = PlatformSetup(
        config=config,
        endpoints=endpoints,
        key=load_or_create_platform_key(instance_path),
        tool_keys=ToolKeySet(endpoints.tool_jwks, config.verify_tls, config.tool_key_set),
    )
    throttle = Throttle(config.throttle or ThrottleSettings()) if endpoints.profile.is_canvas else None
    app.extensions[EXTENSION_KEY] = Sandbox(
        config, endpoints, course, store, setup, PendingDeepLinks(), ToolRegistrations(instance_path), throttle
    )

    for module in (pages, launch, deep_link_return, dynamic_registration, platform_storage):
        app.register_blueprint(module.blueprint)
    add_profile_routes(app, endpoints.profile)
    if throttle is not None:
        guard_lti_services(app, throttle)
    return app
