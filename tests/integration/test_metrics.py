"""/metrics: refused without the bearer token, absent without the setting, and counting requests by route rule,
refused launches by reason, task durations and the grade outbox by state."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from assessment.assignment_settings import default_settings
from assessment.db import utcnow
from assessment.models import Course, GradePosting, Person, PostingStatus, ResourceLink
from assessment.services import create_assignment
from lti_tool.app import create_app
from lti_tool.database import dispose_database
from lti_tool.enqueue import enqueue
from lti_tool.registry import PlatformSpec, register_platform
from tests.conftest import TEST_SECRET, make_settings
from tests.support.processes import stop_process
from tests.support.workers import start_worker

TOKEN = "metrics-token-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scraped_app(tmp_path, database_url, engine):
    app = create_app(make_settings(tmp_path, database_url, METRICS_TOKEN=TOKEN))
    app.config["TESTING"] = True
    yield app
    dispose_database(app)


@pytest.fixture
def scraper(scraped_app):
    return scraped_app.test_client()


def _samples(scraper) -> dict[tuple[str, frozenset], float]:
    answer = scraper.get("/metrics", headers=BEARER)
    assert answer.status_code == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True)) for sample in family.samples}


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _total(samples, name: str) -> float:
    return sum(value for (sample, _), value in samples.items() if sample == name)


def test_metrics_do_not_exist_without_a_token_setting(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789abcdef"},
                                     {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}])
def test_metrics_are_refused_without_the_right_bearer_token(scraper, headers):
    answer = scraper.get("/metrics", headers=headers)

    assert answer.status_code == 401
    assert b"peerlti_" not in answer.data
    assert answer.headers["Cache-Control"] == "no-store"


def test_metrics_answer_with_the_token_and_are_never_cached(scraper):
    answer = scraper.get("/metrics", headers=BEARER)

    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert answer.headers["Cache-Control"] == "no-store"
    assert b"peerlti_request_duration_seconds" in answer.data


def test_a_request_is_counted_under_its_route_rule_not_its_path(scraper):
    before = _samples(scraper)
    scraper.get("/healthz")
    scraper.get("/links/424242/grades")  # no launch: refused, but counted under the rule
    after = _samples(scraper)

    count = "peerlti_request_duration_seconds_count"
    assert _value(after, count, route="/healthz", method="GET", status="200") == \
        _value(before, count, route="/healthz", method="GET", status="200") + 1
    routes = {dict(labels)["route"] for (name, labels) in after if name == count}
    assert "/links/<int:link_id>/grades" in routes
    assert not any("424242" in route for route in routes)


def test_a_refused_launch_is_counted_by_its_reason(scraper):
    before = _samples(scraper)
    answer = scraper.post("/lti/launch", data={"state": "forged", "id_token": "not-a-token"})
    after = _samples(scraper)

    assert answer.status_code >= 400
    assert _total(after, "peerlti_launch_refusals_total") == _total(before, "peerlti_launch_refusals_total") + 1
    reasons = {dict(labels)["reason"] for (name, labels), value in after.items()
               if name == "peerlti_launch_refusals_total" and value > _value(before, name, **dict(labels))}
    assert len(reasons) == 1 and reasons.pop().isidentifier()  # the refusal's kind, not its sentence


def test_a_task_run_in_process_records_its_duration(scraped_app, scraper):
    before = _samples(scraper)
    with scraped_app.test_request_context("/"):
        assert enqueue("peerlti.ping", "hello").get() == "hello"
    after = _samples(scraper)

    count, total = "peerlti_task_duration_seconds_count", "peerlti_task_duration_seconds_sum"
    labels = {"task": "peerlti.ping", "state": "SUCCESS"}
    assert _value(after, count, **labels) == _value(before, count, **labels) + 1
    assert _value(after, total, **labels) > _value(before, total, **labels)


@pytest.mark.slow
def test_a_worker_serves_the_duration_of_the_tasks_it_ran_to_a_scrape_with_the_token(tmp_path, database_url, broker):
    app = create_app(make_settings(tmp_path, database_url, CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = start_worker({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET, "METRICS_TOKEN": TOKEN,
                           "WORKER_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")},
                          tmp_path / "worker.log")
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with app.test_request_context("/"):
            result = enqueue("peerlti.ping", "through the broker")
            assert result is not None and result.get(timeout=60) == "through the broker"
            result.forget()
        scraped = _scrape_when_listening(url, 'task="peerlti.ping"')
        refused = requests.get(url, headers={"Authorization": "Bearer wrong-token-0123456789abcdef"}, timeout=10)
    finally:
        stop_process(worker)
        app.extensions["peerlti.celery"].close()
        dispose_database(app)

    assert refused.status_code == 401 and "peerlti_" not in refused.text
    counted = [line for line in scraped.splitlines()
               if line.startswith("peerlti_task_duration_seconds_count") and 'task="peerlti.ping"' in line]
    assert len(counted) == 1 and 'state="SUCCESS"' in counted[0] and counted[0].endswith(" 1.0")


def _scrape_when_listening(url: str, showing: str) -> str:
    """The worker's scrape once it shows `showing`: its server starts with the worker, and Celery stores a task's
    result before the signal after the task (which records its duration) has run."""
    deadline = time.monotonic() + 30
    while True:
        try:
            text = requests.get(url, headers=BEARER, timeout=10).text
            if showing in text or time.monotonic() > deadline:
                return text
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def test_the_outbox_is_read_on_each_scrape_by_state_with_the_age_of_its_oldest_row(scraper, session):
    now = utcnow()
    _postings(session, [(PostingStatus.PENDING, now - timedelta(minutes=10)), (PostingStatus.PENDING, now),
                        (PostingStatus.FAILED, now - timedelta(hours=1))])
    samples = _samples(scraper)

    assert _value(samples, "peerlti_outbox_rows", state="pending") == 2
    assert _value(samples, "peerlti_outbox_rows", state="failed") == 1
    assert 590 < _value(samples, "peerlti_outbox_oldest_age_seconds", state="pending") < 700
    assert 3590 < _value(samples, "peerlti_outbox_oldest_age_seconds", state="failed") < 3700


def _postings(session, rows: list[tuple[PostingStatus, datetime]]) -> None:
    platform = register_platform(session, PlatformSpec(
        "LMS", "https://lms.example", "c", "https://lms.example/a", "https://lms.example/t", "https://lms.example/k",
        deployment_ids=("d1",)))
    course = Course(platform_id=platform.id, context_id="c1")
    session.add(course)
    session.flush()
    link = ResourceLink(course_id=course.id, deployment_id=platform.deployments[0].id, resource_link_id="l1",
                        ags_claim={"lineitem": "https://lms.example/lineitems/1"})
    session.add(link)
    session.flush()
    assignment = create_assignment(session, course.id, default_settings("Essay", utcnow()), resource_link_id=link.id)
    for number, (status, timestamp) in enumerate(rows):
        student = Person(platform_id=platform.id, subject=f"s{number}")
        session.add(student)
        session.flush()
        session.add(GradePosting(assignment_id=assignment.id, person_id=student.id, release_id="r1", score_given=7.0,
                                 score_maximum=10.0, grading_progress="FullyGraded", timestamp=timestamp,
                                 status=status))
    session.commit()
