"""The student-workflow benchmark's workload, run by a small class against the test app so that it keeps working."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.lms import RunningLMS

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "workflow.py"


def _benchmark(monkeypatch):
    monkeypatch.setenv("WORKFLOW_BENCH_SECRET", "the test's")  # the script would set it for its servers otherwise
    spec = importlib.util.spec_from_file_location("workflow_benchmark", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_five_students_launch_hand_in_and_review_without_errors_or_stray_rows(lms: RunningLMS, database_url,
                                                                                    monkeypatch):
    benchmark = _benchmark(monkeypatch)
    students = ["student-1", "student-2", "student-3", "student-4", "student-5"]

    result = benchmark.run_workload(lms.tool.url, lms.sandbox.url, students, concurrency=3, pdf_every=2)
    rows = benchmark.check_database(database_url, len(students))

    assert result["errors"] == dict.fromkeys(benchmark.STEPS, 0), result["error_samples"]
    assert result["workflows_completed"] == 5
    assert all(result["steps"][step]["count"] == 5 for step in benchmark.STEPS)
    assert rows["submissions"] == 5 and rows["peer_reviews_submitted"] == 5
    assert rows["ok"], rows["violations"]


def test_the_database_check_finds_a_gap_in_version_numbers(lms: RunningLMS, database_url, monkeypatch):
    benchmark = _benchmark(monkeypatch)
    benchmark.run_workload(lms.tool.url, lms.sandbox.url, ["student-1", "student-2"], concurrency=2, pdf_every=0)
    engine = create_engine(database_url)
    with engine.begin() as connection:  # version 1 lost: the one left is numbered 2
        connection.execute(text("UPDATE submission_versions SET number = 2 "
                                "WHERE id = (SELECT min(id) FROM submission_versions)"))
    engine.dispose()

    rows = benchmark.check_database(database_url, 2)

    assert not rows["ok"] and rows["violations"]["version_gaps"] == 1


def test_the_servers_run_tasks_eagerly_unless_a_broker_is_named_whatever_the_callers_environment(monkeypatch):
    # A broker inherited from the caller, with no worker behind it, would hold every file check: every student who
    # handed in a PDF would then find nothing to review.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("PEERLTI_SOME_SETTING", "kept")
    benchmark = _benchmark(monkeypatch)

    inherited = benchmark.inherited_environment()

    assert "CELERY_BROKER_URL" not in inherited and inherited["PEERLTI_SOME_SETTING"] == "kept"
