"""Showing a domain refusal (InvalidInput) next to the form fields it concerns."""

from __future__ import annotations

from flask_wtf import FlaskForm

from lti_tool.i18n import translate


def show_problems(form: FlaskForm, problems: dict[str, str], aliases: dict[str, str] | None = None) -> None:
    """Attach each message to its field (by name, or through `aliases`); the rest become form-level errors."""
    for key, problem in problems.items():
        message = translate(problem)
        name = (aliases or {}).get(key, key)
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
