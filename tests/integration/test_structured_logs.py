"""Structured logs: one JSON line per request, its request id carried into the tasks it sends, and no token anywhere."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
import requests

from lti_tool.app import create_app
from lti_tool.database import dispose_database
from lti_tool.enqueue import enqueue
from tests.conftest import TEST_SECRET, make_settings
from tests.support.lms import begin_launch
from tests.support.log_capture import Captured, captured_logs
from tests.support.processes import stop_process
from tests.support.workers import start_worker


@pytest.fixture
def captured() -> Iterator[Captured]:
    with captured_logs() as captured:
        yield captured


def _request_lines(captured: Captured) -> list[dict]:
    return [line for line in captured.lines() if line["logger"] == "peerlti.request"]


def test_each_request_is_one_json_line_with_method_route_status_duration_and_request_id(client, captured):
    response = client.get("/links/48151623/grades?_t=secret-tab-token")

    [line] = _request_lines(captured)
    assert line["method"] == "GET"
    assert line["route"] == "/links/<int:link_id>/grades"  # the rule: ids and query strings stay out
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert "48151623" not in captured.text and "secret-tab-token" not in captured.text


def test_a_sane_incoming_request_id_is_kept_and_answered(client, captured):
    response = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a9c1e-0001"})

    assert response.headers["X-Request-ID"] == "proxy-7f3a9c1e-0001"
    assert _request_lines(captured)[0]["request_id"] == "proxy-7f3a9c1e-0001"


@pytest.mark.parametrize("incoming", ["short", "x" * 129, 'forged" level="error', "has spaces-0123456789"])
def test_an_insane_incoming_request_id_is_replaced_by_a_new_one(client, captured, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})

    answered = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", answered)
    assert _request_lines(captured)[0]["request_id"] == answered


def test_successful_health_probes_are_logged_at_debug_and_other_requests_at_info(client, captured):
    client.get("/healthz")
    client.get("/lti/jwks")

    levels = {line["route"]: line["level"] for line in _request_lines(captured)}
    assert levels == {"/healthz": "debug", "/lti/jwks": "info"}


def test_a_task_run_in_process_logs_under_the_id_of_the_request_that_sent_it(app, captured):
    with app.test_request_context("/", headers={"X-Request-ID": "eager-request-0001"}):
        app.preprocess_request()
        assert enqueue("peerlti.ping", "hello").get() == "hello"

    finished = [line for line in captured.lines() if line.get("event") == "task.finished"]
    assert [(line["task"], line["request_id"]) for line in finished] == [("peerlti.ping", "eager-request-0001")]


@pytest.mark.slow
def test_a_worker_process_logs_a_task_under_the_id_of_the_request_that_sent_it(tmp_path, database_url, broker):
    app = create_app(make_settings(tmp_path, database_url, CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker))
    log_file = tmp_path / "worker.log"
    worker = start_worker({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET, "LOG_FORMAT": "json"},
                          log_file)
    request_id = f"web-{uuid.uuid4().hex}"
    try:
        with app.test_request_context("/", headers={"X-Request-ID": request_id}):
            app.preprocess_request()
            result = enqueue("peerlti.ping", "through the broker")
            assert result is not None and result.get(timeout=60) == "through the broker"
            result.forget()
    finally:
        stop_process(worker)
        app.extensions["peerlti.celery"].close()
        dispose_database(app)

    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    finished = [line for line in lines if line.get("event") == "task.finished" and line["task"] == "peerlti.ping"]
    assert len(finished) == 1
    assert finished[0]["request_id"] == request_id and finished[0]["state"] == "SUCCESS"


def test_launches_accepted_and_refused_are_logged_as_events_and_no_line_holds_the_id_token(lms, captured):
    pending = begin_launch(lms, "student-1")
    state_cookie = {c.name: c.value for c in pending.browser.cookies if c.name.startswith("lti1p3-state-")}
    assert pending.post().status_code == 200
    replay = requests.post(pending.launch_url, data=pending.fields, cookies=state_cookie, timeout=10)
    assert replay.status_code == 400

    assert pending.fields["id_token"] not in captured.text
    assert pending.fields["state"] not in captured.text
    [accepted] = captured.events("launch.accepted")
    assert accepted["role"] == "student" and isinstance(accepted["person_id"], int)
    assert accepted["deep_linking"] is False
    [refused] = captured.events("launch.refused")
    assert refused["status"] == 400 and "replayed id_token" in refused["reason"]
    assert refused["request_id"] != accepted["request_id"]
    # The launch carried the student's name and e-mail address; the logs carry ids.
    assert "Okafor" not in captured.text and "amara.okafor@example.edu" not in captured.text


def test_a_scheduled_job_logs_its_run_with_how_many_rows_it_handled(app, captured):
    assert app.extensions["peerlti.celery"].tasks["peerlti.reclaim_expired_leases"].delay().get() == 0

    [run] = captured.events("scheduled.run")
    assert (run["task"], run["state"], run["count"]) == ("peerlti.reclaim_expired_leases", "SUCCESS", 0)
