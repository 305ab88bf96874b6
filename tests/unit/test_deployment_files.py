"""deploy/: the compose file parses and runs two web containers behind the proxy, two workers and exactly one beat,
each with a health check; the image, compose, systemd and README start the processes with the commands the tests run."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from config.settings import Settings
from tests.support.gunicorn import serve_command
from tests.support.workers import BEAT_COMMAND, WORKER_COMMAND

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
WEB = serve_command("0.0.0.0:8000")


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]


def _replicas(service: dict) -> int:
    return service.get("deploy", {}).get("replicas", 1)


def _running(services: dict, command: tuple[str, ...] | list[str]) -> int:
    """How many containers run `command` (its arguments after it may differ, as the beat's --schedule)."""
    return sum(_replicas(service) for service in services.values()
               if service.get("command", [])[:len(command)] == list(command))


def test_compose_runs_two_web_containers_two_workers_and_exactly_one_beat(services):
    assert _running(services, WEB) == 2
    assert _running(services, WORKER_COMMAND) == 2
    assert _running(services, BEAT_COMMAND) == 1
    assert sum(_replicas(service) for service in services.values() if "beat" in service.get("command", [])) == 1
    # A worker that also schedules (`worker --beat`, `-B`) would start a second scheduler.
    for service in services.values():
        command = service.get("command", [])
        assert "worker" not in command or not {"--beat", "-B"} & set(command)


def test_compose_has_the_proxy_the_databases_and_the_object_store(services):
    assert {"proxy", "postgres", "redis", "minio", "migrate"} <= set(services)
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    web = [name for name, service in services.items() if service.get("command") == WEB]
    assert re.search(r"reverse_proxy " + " ".join(f"{name}:8000" for name in web), caddyfile)
    assert "health_uri /readyz" in caddyfile
    assert "respond /metrics 404" in caddyfile  # scraped inside the network only


def test_every_long_running_service_has_a_health_check_and_the_web_one_probes_healthz(services):
    for name, service in services.items():
        if name == "proxy" or service.get("restart") == "no":  # one-shot jobs run and end
            continue
        assert "test" in service.get("healthcheck", {}), name
    for name, service in services.items():
        if service.get("command") == WEB:
            assert "/healthz" in " ".join(service["healthcheck"]["test"]), name


def test_everything_waits_for_the_migrations_and_shares_the_uploads_volume(services):
    for name, service in services.items():
        command = service.get("command", [])
        if command in (WEB, list(WORKER_COMMAND)):
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
            assert "instance:/var/lib/peerlti" in service["volumes"], name
            assert service["environment"]["PEERLTI_INSTANCE_PATH"] == "/var/lib/peerlti"
    assert services["migrate"]["command"] == ["peerlti", "db", "upgrade"]


def _dockerfile() -> str:
    # Continuation lines joined, so each instruction is one line.
    return (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")


def _instruction(name: str) -> list[str]:
    return [line[len(name) + 1:].strip() for line in _dockerfile().splitlines() if line.startswith(name + " ")]


def test_the_image_serves_with_the_tests_gunicorn_command_and_checks_healthz():
    [cmd] = _instruction("CMD")
    assert json.loads(cmd) == WEB
    [healthcheck] = _instruction("HEALTHCHECK")
    assert "/healthz" in healthcheck


def test_the_image_is_debian_slim_python_3_11_runs_as_a_user_and_installs_from_the_lock():
    [base] = _instruction("FROM")
    assert re.fullmatch(r"python:3\.11-slim-\w+", base)
    [user] = _instruction("USER")
    assert user not in ("root", "0")
    run = " ".join(_instruction("RUN"))
    assert "--constraint requirements.lock ." in run
    assert "pybabel compile" in run
    assert "libreoffice-writer-nogui" in run and 'if [ "$LIBREOFFICE" = "1" ]' in run


def _exec_start(unit: str) -> list[str]:
    [line] = [line for line in (DEPLOY / "systemd" / unit).read_text().splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart="))
    return [Path(argv[0]).name, *argv[1:]]


def test_the_systemd_units_run_the_same_commands_and_one_beat():
    assert _exec_start("peerlti-web.service") == serve_command("127.0.0.1:8000")
    assert _exec_start("peerlti-worker@.service")[:len(WORKER_COMMAND)] == list(WORKER_COMMAND)
    assert _exec_start("peerlti-beat.service")[:len(BEAT_COMMAND)] == list(BEAT_COMMAND)
    # The beat is one plain unit, not a template that could be started as several instances.
    assert [unit.name for unit in (DEPLOY / "systemd").glob("*beat*")] == ["peerlti-beat.service"]


def test_the_readme_starts_one_beat_with_the_same_commands():
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("celery ")]
    assert commands and not any("--beat" in line or " -B" in line for line in commands)
    assert " ".join(WORKER_COMMAND) in readme and " ".join(BEAT_COMMAND) in readme
    assert "deploy/compose.yaml" in readme and "deploy/systemd" in readme


def test_uploads_go_to_the_minio_bucket_made_before_anything_starts(services, tmp_path):
    for name, service in services.items():
        command = service.get("command", [])
        if command in (WEB, list(WORKER_COMMAND)) or "beat" in command:
            environment = service["environment"]
            assert environment["STORAGE_URL"] == "s3://peerlti/uploads", name
            assert environment["S3_ENDPOINT_URL"] == "http://minio:9000", name
            storage = {key: value for key, value in environment.items() if key.startswith(("STORAGE_", "S3_"))}
            settings = Settings.from_env(storage | {"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40})
            assert settings.object_storage.addressing_style == "path"  # as MinIO answers
    assert services["web-1"]["depends_on"]["bucket"]["condition"] == "service_completed_successfully"
    assert services["bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "mc mb --ignore-existing store/peerlti" in " ".join(services["bucket"]["entrypoint"])
