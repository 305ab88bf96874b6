"""Log lines for people (text) or for a collector (JSON), each carrying its request id, with secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from lti_tool.log_redaction import redact

# The request (or the task a request started) that a log line belongs to; None outside both.
REQUEST_ID: ContextVar[str | None] = ContextVar("peerlti_request_id", default=None)
# The Celery task running in this context, so a worker's lines say which one wrote them.
TASK: ContextVar[tuple[str, str] | None] = ContextVar("peerlti_task", default=None)

# Attributes every LogRecord has: whatever else a record carries came from `extra=` and is a field of the line.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
# Marks the handler this module installed, so configuring again replaces it instead of adding a second.
_OURS = "_peerlti_handler"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


class ContextFields(logging.Filter):
    """Stamps the request id (and task) of the current context on every record that passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if getattr(record, "task", None) is None and (task := TASK.get()) is not None:
            record.task, record.task_id = task
        return True


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a record: what `extra=` added and the context stamped on it, if set."""
    return {key: value for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_") and value is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's fields; redacted as a whole."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {key: _plain(value) for key, value in fields_of(record).items() if key not in line}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """A readable line: the request id in brackets, the record's fields as key=value after the message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = fields_of(record)
        request_id = fields.pop("request_id", None)
        record.__dict__["context"] = f" [{request_id}]" if request_id else ""
        text = super().format(record)
        del record.__dict__["context"]
        if fields.get("event") == record.getMessage():
            del fields["event"]  # a key event's message is its name already
        extra = " ".join(f"{key}={value}" for key, value in fields.items())
        return redact(f"{text} {extra}" if extra else text)


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, list, dict)) else str(value)


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def make_handler(log_format: str, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(ContextFields())
    return handler


def configure_logging(log_format: str, level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Send every logger's records to one handler on the root logger (stderr by default), in `log_format`.

    Called by the entry points (the WSGI module, `peerlti serve`, the Celery worker), never by the app factory:
    tests build many apps in one process and capture records themselves."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if getattr(handler, _OURS, False)]:
        root.removeHandler(handler)
    handler = make_handler(log_format, stream)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """A key event: a short dotted name and the ids it concerns (never names or e-mail addresses)."""
    logger.log(level, event, extra={"event": event, **fields})
