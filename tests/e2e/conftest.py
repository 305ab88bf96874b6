"""A real headless Chromium (Debian's package) driven by Playwright, and the LMS it browses."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.support.in_browser import Evidence
from tests.support.live import make_self_signed_certificate
from tests.support.lms import LMSHosts, RunningLMS, start_lms
from tests.support.services import service_missing

README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A real browser takes seconds a test: a quick run (-m "not slow") leaves the browser tests out too.
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def evidence(tmp_path) -> Evidence:
    """Where a story's screenshots go; into the README's folder too when PEERLTI_README_SCREENSHOTS=1."""
    directory = tmp_path / "screenshots"
    directory.mkdir()
    readme = README_SCREENSHOTS if os.environ.get("PEERLTI_README_SCREENSHOTS") == "1" else None
    return Evidence(directory, readme)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        service_missing("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def https_lms(session, tmp_path, database_url, sandbox_instance, monkeypatch) -> Iterator[RunningLMS]:
    """Sandbox on https://127.0.0.1 and tool on https://localhost: different sites, as real LMSs are."""
    tls = make_self_signed_certificate(tmp_path)
    # The tool fetches the sandbox's keys over HTTPS: trust the test's certificate for that.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.cert))
    hosts = LMSHosts(tool_host="localhost", sandbox_host="127.0.0.1", tls=tls)
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url), sandbox_instance, hosts)
    yield running
    running.stop()
