"""config/gunicorn.py: processes from the CPUs or the setting, graceful restarts, no forwarded header trusted, and
an access log without query strings or referrers."""

from __future__ import annotations

import logging
import os
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"
SECRET = "x" * 40


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Reading the configuration sets up the master's logging, as gunicorn's master would; the tests keep theirs."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _config(monkeypatch, tmp_path, **env: str) -> dict:
    for name in ("WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT_SECONDS", "WEB_MAX_REQUESTS", "LOG_FORMAT", "PEERLTI_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEERLTI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_one_threaded_process_per_usable_cpu_at_least_two_by_default(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path)

    assert config["worker_class"] == "gthread" and config["threads"] == 4
    assert config["workers"] == max(2, len(os.sched_getaffinity(0)))


def test_the_settings_choose_processes_threads_timeout_and_restarts(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path, WEB_WORKERS="7", WEB_THREADS="2", WEB_TIMEOUT_SECONDS="45",
                     WEB_MAX_REQUESTS="500")

    assert (config["workers"], config["threads"], config["timeout"]) == (7, 2, 45)
    assert (config["max_requests"], config["max_requests_jitter"]) == (500, 50)
    assert config["graceful_timeout"] > 0


def test_gunicorn_trusts_no_forwarded_header_itself(monkeypatch, tmp_path):
    assert _config(monkeypatch, tmp_path)["forwarded_allow_ips"] == ""


@pytest.mark.parametrize("atom", ["%(r)s", "%(q)s", "%(f)s", "%(U)s?"])
def test_the_access_log_format_has_no_query_string_referrer_or_tab(monkeypatch, tmp_path, atom):
    config = _config(monkeypatch, tmp_path)

    assert atom not in config["access_log_format"]
    assert "%({x-request-id}o)s" in config["access_log_format"]


def test_a_wrong_setting_stops_gunicorn_with_the_variable_named(monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="WEB_WORKERS"):
        _config(monkeypatch, tmp_path, WEB_WORKERS="lots")


def test_metrics_are_shared_by_the_processes_through_a_directory_cleared_at_start(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path)
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1234.db").write_bytes(b"stale")

    with pytest.raises(RuntimeError):  # the instance's database was never migrated: cleared all the same, first
        config["on_starting"](None)

    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(directory)
    assert list(directory.iterdir()) == []
    assert callable(config["child_exit"])


def test_without_a_metrics_directory_each_start_makes_its_own(monkeypatch, tmp_path):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("PEERLTI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", SECRET)
    try:
        config = runpy.run_path(str(CONFIG))
        made = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        assert made.is_dir() and made.name.startswith("peerlti-metrics-")
        config["on_exit"](None)
        assert not made.exists()
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
