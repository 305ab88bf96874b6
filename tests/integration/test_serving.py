"""gunicorn with config/gunicorn.py, as production runs it: health, a launch, safe logs, and no start on an old schema."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from lti_tool import migrate
from lti_tool.cli import main
from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from tests.conftest import TEST_SECRET
from tests.support.gunicorn import Gunicorn, listening_socket, start_gunicorn
from tests.support.live import LiveServer
from tests.support.lms import auto_post_form, register_sandbox
from tests.support.services import sqlite_url

pytestmark = pytest.mark.slow
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def _environment(tmp_path, database_url: str, tool_url: str) -> dict[str, str]:
    return {
        "PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET, "TOOL_BASE_URL": tool_url, "LOG_FORMAT": "json", "WEB_WORKERS": "2",
        # No broker: the launch needs none, and the suite's broker is not this server's.
        "CELERY_BROKER_URL": "", "RATE_LIMIT_STORAGE_URL": "",
        "METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }


@dataclass
class Served:
    tool: Gunicorn
    sandbox: LiveServer


@pytest.fixture
def served(session, tmp_path, database_url, sandbox_instance) -> Iterator[Served]:
    listener = listening_socket()
    tool_url = f"http://localhost:{listener.getsockname()[1]}"
    sandbox = LiveServer("localhost")
    config = SandboxConfig(base_url=sandbox.url, tool_base_url=tool_url, instance_path=str(sandbox_instance))
    register_sandbox(session, config)
    sandbox.start(create_sandbox_app(config))
    tool = start_gunicorn(_environment(tmp_path, database_url, tool_url), tmp_path / "gunicorn.log", listener)
    try:
        tool.wait_until_serving()
        yield Served(tool=tool, sandbox=sandbox)
    finally:
        tool.stop()
        sandbox.stop()


def test_metrics_sum_the_requests_every_gunicorn_process_answered(served):
    # Fresh connections: gunicorn's processes take turns accepting them, so both answer some.
    for _ in range(20):
        assert requests.get(f"{served.tool.url}/healthz", timeout=10, headers={"Connection": "close"}).ok
    refused = requests.get(f"{served.tool.url}/metrics", timeout=10)
    scraped = requests.get(f"{served.tool.url}/metrics", timeout=10,
                           headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert refused.status_code == 401 and scraped.status_code == 200
    counted = [line for line in scraped.text.splitlines()
               if line.startswith("peerlti_request_duration_seconds_count") and 'route="/healthz"' in line]
    assert len(counted) == 1 and float(counted[0].rsplit(" ", 1)[1]) >= 20
    assert "peerlti_outbox_rows" in scraped.text


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_gunicorn_serves_health_and_a_launch_and_no_log_line_holds_its_id_token(served):
    health = requests.get(f"{served.tool.url}/healthz", timeout=10)
    browser = requests.Session()
    login = browser.get(f"{served.sandbox.url}/launch/instructor-1", timeout=10)
    launch_url, fields = auto_post_form(login.text)
    page = browser.post(launch_url, data=fields, timeout=30)
    served.tool.stop()  # every worker has written and flushed its lines

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert page.status_code == 200 and "Set up this peer assessment" in page.text
    log = served.tool.log()
    lines = _json_lines(log)  # in production's format every line is one JSON object
    assert fields["id_token"] not in log and fields["state"] not in log
    access = [line for line in lines if line["logger"] == "gunicorn.access" and "/lti/launch" in line["message"]]
    assert len(access) == 1 and '"POST /lti/launch HTTP/1.1" 303' in access[0]["message"]
    request_line = next(line for line in lines if line.get("route") == "/lti/launch")
    assert request_line["method"] == "POST" and request_line["status"] == 303
    assert f"request_id={request_line['request_id']}" in access[0]["message"]
    assert any(line.get("event") == "launch.accepted" and line["request_id"] == request_line["request_id"]
               for line in lines)


def _start_on(tmp_path, database_url: str) -> subprocess.CompletedProcess:
    listener = listening_socket()
    tool = start_gunicorn(_environment(tmp_path, database_url, "http://localhost:5000"), tmp_path / "g.log", listener)
    try:
        tool.process.wait(timeout=60)
    finally:
        tool.stop()
    return subprocess.CompletedProcess(tool.process.args, tool.process.returncode, tool.log())


def test_gunicorn_on_a_database_never_migrated_exits_with_one_line_saying_to_upgrade(tmp_path):
    result = _start_on(tmp_path, sqlite_url(tmp_path))

    assert result.returncode != 0
    assert "Error: the database is not migrated" in result.stdout
    assert "run `peerlti db upgrade`" in result.stdout
    assert "Traceback" not in result.stdout


def test_gunicorn_on_a_database_behind_the_head_exits_naming_both_revisions(tmp_path):
    url = sqlite_url(tmp_path)
    migrate.upgrade(url, "0014")

    result = _start_on(tmp_path, url)

    assert result.returncode != 0
    assert "at revision 0014, behind the head" in result.stdout and "run `peerlti db upgrade`" in result.stdout
    assert "Traceback" not in result.stdout


@pytest.fixture
def root_logging_restored() -> Iterator[None]:
    """`peerlti serve` sets up the process's logging, as an entry point does; the tests after it keep their own."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_peerlti_serve_on_a_database_never_migrated_says_to_upgrade_instead_of_serving(tmp_path, root_logging_restored):
    env = {"DATABASE_URL": sqlite_url(tmp_path), "PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET}

    result = CliRunner().invoke(main, ["serve", "--port", "0"], env=env)

    assert result.exit_code == 1
    assert "Error: the database is not migrated" in result.output and "run `peerlti db upgrade`" in result.output


def test_gunicorn_on_a_database_a_newer_release_migrated_serves_and_warns(tmp_path):
    # A rolling upgrade: the old release's processes keep starting while the new release's migrations are in.
    url = sqlite_url(tmp_path)
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    tool = start_gunicorn(_environment(tmp_path, url, "http://localhost:5000"), tmp_path / "g.log")
    try:
        tool.wait_until_serving()
    finally:
        tool.stop()

    warnings = [line for line in _json_lines(tool.log()) if line["level"] == "warning"]
    assert any("at revision 0999, newer than this release's head" in line["message"] for line in warnings)
