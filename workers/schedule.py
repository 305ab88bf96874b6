"""Periodic work, declared as data for Celery beat."""

from __future__ import annotations

BEAT_SCHEDULE = {
    # A lost message or a killed worker leaves a grade in flight; the sweep posts it again within a minute.
    "sweep-grade-postings": {"task": "peerlti.sweep_grade_postings", "schedule": 60.0},
    # A file check whose worker was killed, or whose message was lost, is run again; "being checked" ends.
    "sweep-file-checks": {"task": "peerlti.sweep_file_checks", "schedule": 60.0},
    # A review lease that ran out returns its submission to the pool without waiting for a reviewer to ask.
    "reclaim-expired-leases": {"task": "peerlti.reclaim_expired_leases", "schedule": 60.0},
    # Grades are computed once reviewing closes; staff then triage and release them.
    "grade-due-assignments": {"task": "peerlti.grade_due_assignments", "schedule": 300.0},
    # Launches only read and add consumed nonces; the ones whose tokens have expired go here, in one statement.
    "forget-expired-nonces": {"task": "peerlti.forget_expired_nonces", "schedule": 600.0},
    # Reminders before each deadline and staff's daily summaries; each claimed once, so a frequent beat sends nothing
    # twice, and a reminder's moment is met within the quarter hour.
    "send-reminders": {"task": "peerlti.send_reminders", "schedule": 900.0},
    # Students who never launched still belong in progress views and in grading.
    "sync-rosters": {"task": "peerlti.sync_all_rosters", "schedule": 6 * 3600.0},
}
