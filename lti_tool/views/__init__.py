"""Pages people see after a launch: parse input, call services, render."""

from __future__ import annotations

from flask import Flask


def init_views(app: Flask) -> None:
    from lti_tool.views import (
        assignment_settings,
        calibration,
        dashboard,
        deep_linking,
        feedback,
        grading,
        instructor,
        landing,
        reading,
        review_admin,
        reviewing,
        rubric,
        student,
        team_grades,
        teammate_ratings,
        teams,
    )

    for module in (landing, instructor, assignment_settings, rubric, student, deep_linking, calibration, reviewing,
                   reading, feedback, review_admin, grading, dashboard, teams, team_grades,
                   teammate_ratings):
        app.register_blueprint(module.bp)
