"""Keeping session-grade secrets (tab tokens, id_tokens, OIDC states) out of every log the tool or its server writes."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

# A query parameter (or form field) whose value is as good as a session or a login: `_t`, `id_token`, `state`.
_SECRET_PARAMETER = re.compile(r"(?P<lead>^|[?&;\s\"'])(?P<name>_t|id_token|state)=[^&;\s\"'#]+")
# A signed JWT wherever it appears (an id_token quoted in an error, a client assertion): header.payload.signature.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# An e-mail address: personal data that a message about a person (a roster, an LMS's error) may carry.
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# The loggers of the servers that log request lines: the built-in one and gunicorn's.
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    text = _SECRET_PARAMETER.sub(r"\g<lead>\g<name>=[redacted]", text)
    return _EMAIL.sub("[redacted e-mail]", _JWT.sub("[redacted token]", text))


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments (a tuple, or gunicorn's mapping of atoms) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, MutableMapping):
            if isinstance(record.msg, str):
                record.msg = redact(record.msg)
            _redact_in_place(record.args)
        elif record.args:
            # Formatted first: a secret's name in the format and its value in the arguments (`state=%s`) is one
            # secret, and redacting the format alone would take its placeholder away from the arguments.
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                return True  # a malformed call: left for the logging module to report as such
            record.msg, record.args = redact(message), ()
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def _redact_in_place(atoms: MutableMapping[str, Any]) -> None:
    # In place: gunicorn's atoms are a dict subclass that answers "-" for absent keys, which a copy would lose.
    for key, value in list(atoms.items()):
        if isinstance(value, str):
            atoms[key] = redact(value)


def install_redaction() -> None:
    """Attach the filter to the server loggers (records logged to them) and to every handler of root and of those
    loggers (records propagated from anywhere). Safe to call again: nothing is attached twice."""
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for logger in loggers:
        _attach(logger)
    for logger in (logging.getLogger(), *loggers):
        for handler in logger.handlers:
            _attach(handler)


def _attach(target: logging.Filterer) -> None:
    if not any(isinstance(existing, RedactSecrets) for existing in target.filters):
        target.addFilter(RedactSecrets())
