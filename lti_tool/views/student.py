"""Student pages: the activity's home for a student."""

from __future__ import annotations

from flask import render_template

from lti_tool.views.course import LaunchView


def home(view: LaunchView) -> str:
    return render_template("student/home.html", view=view)
