"""The sandbox LMS and the tool running together over HTTP, and launches driven through them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.orm import Session

from config.settings import Settings
from lti_tool.app import create_app
from lti_tool.database import dispose_database
from lti_tool.key_vault import vault_of
from lti_tool.keys import new_private_key_pem, tool_key_row
from lti_tool.registry import PlatformSpec, ToolKey, current_tool_key, register_platform
from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from sandbox.course import DEMO_COURSE, course_as_profile
from sandbox.keys import PlatformKey, load_or_create_platform_key
from sandbox.profiles import profile_named
from sandbox.registration import registration_record
from tests.support.live import LiveServer, TLSFiles


@dataclass
class RunningLMS:
    tool: LiveServer
    sandbox: LiveServer
    sandbox_config: SandboxConfig
    settings: Settings

    @property
    def context_id(self) -> str:
        """The course's id in launches, as the sandbox's LMS profile makes it."""
        return sandbox_context_id(self.sandbox_config)

    @property
    def platform_key(self) -> PlatformKey:
        return load_or_create_platform_key(Path(self.sandbox_config.instance_path))

    def stop(self) -> None:
        self.tool.stop()
        self.sandbox.stop()
        dispose_database(self.tool.app)


@dataclass(frozen=True)
class LMSHosts:
    tool_host: str = "localhost"
    sandbox_host: str = "localhost"
    tls: TLSFiles | None = None


def start_lms(session: Session, settings_for, sandbox_instance: Path, hosts: LMSHosts = LMSHosts(), *,
              sandbox_options: Mapping[str, Any] | None = None) -> RunningLMS:
    """Start both servers, register the sandbox with the tool, return their URLs. `sandbox_options` are further
    fields of the sandbox's SandboxConfig (its LMS profile `lms`, for one)."""
    tool = LiveServer(hosts.tool_host, hosts.tls)
    sandbox = LiveServer(hosts.sandbox_host, hosts.tls)
    settings = settings_for(tool.url)
    config = SandboxConfig(
        base_url=sandbox.url,
        tool_base_url=tool.url,
        instance_path=str(sandbox_instance),
        verify_tls=str(hosts.tls.cert) if hosts.tls else True,
        **dict(sandbox_options or {}),
    )
    register_sandbox(session, config)
    tool.start(create_app(settings))
    sandbox.start(create_sandbox_app(config))
    return RunningLMS(tool=tool, sandbox=sandbox, sandbox_config=config, settings=settings)


def register_sandbox(session: Session, config: SandboxConfig) -> None:
    """Register the sandbox with the tool (and give the tool a key, once per run), committed."""
    if current_tool_key(session) is None:
        session.add(_tool_key_copy(session))
    register_platform(session, PlatformSpec(**registration_record(config)))
    session.commit()


@cache
def _tool_private_key() -> str:
    return new_private_key_pem()


def _tool_key_copy(session: Session) -> ToolKey:
    """A fresh row of one key made once per run: generating RSA keys for every test costs minutes."""
    return tool_key_row(_tool_private_key(), vault_of(session))


def auto_post_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the self-submitting form a platform answers its auth request with."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, "the platform's answer has no form"
    fields = {unescape(n): unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    return unescape(action.group(1)), fields


@dataclass
class PendingLaunch:
    """A login the tool started, answered by the platform, not yet posted back to the tool."""

    browser: requests.Session
    launch_url: str
    fields: dict[str, str]

    def post(self, **overrides: str) -> requests.Response:
        return self.browser.post(self.launch_url, data=self.fields | overrides, allow_redirects=True, timeout=10)


def begin_launch(lms: RunningLMS, user_id: str, browser: requests.Session | None = None, *,
                 locale: str | None = None) -> PendingLaunch:
    """Click "launch as" in the sandbox (asking for `locale`, if given); follow the OIDC login up to the form post."""
    browser = browser or requests.Session()
    verify = lms.sandbox_config.verify_tls
    browser.verify = verify
    response = browser.get(f"{lms.sandbox.url}/launch/{user_id}", params={"locale": locale} if locale else None, timeout=10)
    response.raise_for_status()
    launch_url, fields = auto_post_form(response.text)
    return PendingLaunch(browser=browser, launch_url=launch_url, fields=fields)


def launch_as(lms: RunningLMS, user_id: str, browser: requests.Session | None = None, *,
              locale: str | None = None) -> requests.Response:
    return begin_launch(lms, user_id, browser, locale=locale).post()


def sandbox_context_id(config: SandboxConfig) -> str:
    return course_as_profile(DEMO_COURSE, profile_named(config.lms)).id
