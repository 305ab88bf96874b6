"""Tasks reach a real Celery worker process through the broker, and run in-process without one."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from config.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.processes import stop_process
from workers.celery_app import make_celery
from workers.tasks import ping


@pytest.fixture
def broker_settings(tmp_path, broker) -> Settings:
    return Settings.from_env({
        "PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
        "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker,
    })


@pytest.fixture
def worker(broker_settings, tmp_path) -> Iterator[subprocess.Popen]:
    env = os.environ | {"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    yield process
    stop_process(process)
    if process.stdout:
        process.stdout.close()


@pytest.mark.slow
def test_a_task_sent_through_redis_is_run_by_a_separate_worker_process(broker_settings, worker):
    celery = make_celery(broker_settings)
    token = uuid.uuid4().hex

    result = ping.apply_async(args=[token])

    try:
        assert result.get(timeout=30) == token
    finally:
        result.forget()
        celery.close()
    assert worker.poll() is None, "the worker died"


def test_without_a_broker_tasks_run_eagerly_in_process(tmp_path):
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET}))

    assert celery.conf.task_always_eager
    assert ping.delay("here").get() == "here"
    celery.close()


def _eager_celery(tmp_path, database_url: str):
    return make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                          "DATABASE_URL": database_url}))


@pytest.mark.parametrize("task_name", ["peerlti.post_grade", "peerlti.sync_roster", "peerlti.run_grading"])
def test_a_task_given_the_id_of_a_row_that_no_longer_exists_logs_it_and_does_nothing(
    task_name, engine, database_url, tmp_path, caplog
):
    celery = _eager_celery(tmp_path, database_url)

    with caplog.at_level(logging.INFO, logger="workers.tasks"):
        first = celery.tasks[task_name].delay(987654).get()
        again = celery.tasks[task_name].delay(987654).get()

    assert first == again and not first
    assert sum("987654" in record.getMessage() and "no longer exists" in record.getMessage()
               for record in caplog.records) == 2
    celery.close()
