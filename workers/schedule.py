"""Periodic work, declared as data for Celery beat."""

from __future__ import annotations

BEAT_SCHEDULE = {
    # A lost message or a killed worker leaves a grade in flight; the sweep posts it again within a minute.
    "sweep-grade-postings": {"task": "peerlti.sweep_grade_postings", "schedule": 60.0},
}
