"""Fixtures for tests that run the tool and the sandbox LMS as live HTTP servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import make_settings
from tests.support.lms import RunningLMS, start_lms


@pytest.fixture(scope="session")
def sandbox_instance(tmp_path_factory: pytest.TempPathFactory):
    # One platform key for the whole run: generating RSA keys for every test is slow.
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture
def lms(session, tmp_path, database_url, sandbox_instance) -> Iterator[RunningLMS]:
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url), sandbox_instance)
    yield running
    running.stop()
