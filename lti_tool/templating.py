"""Jinja filters for the tool's pages: dates in a time zone, points without needless decimals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from assessment.uploads import KNOWN_KINDS


def local_time(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def extension(kind_name: str) -> str:
    kind = KNOWN_KINDS.get(kind_name)
    return "." + kind.extension if kind else ""


def init_templating(app: Flask) -> None:
    app.add_template_filter(extension, "extension")
    app.add_template_filter(local_time, "local")
    app.add_template_filter(points, "points")
    app.add_template_filter(file_size, "file_size")
