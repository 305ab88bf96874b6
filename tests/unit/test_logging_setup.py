"""Log formats: JSON for collectors, text for people, both with the request id and without secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest

from lti_tool.logging_setup import REQUEST_ID, configure_logging, log_event, make_handler

ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdHVkZW50LTEifQ.c2lnbmF0dXJl"


@pytest.fixture
def logger():
    logger = logging.getLogger("tests.logging_setup")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger
    logger.handlers.clear()


def _written(logger: logging.Logger, log_format: str, write) -> str:
    stream = io.StringIO()
    handler = make_handler(log_format, stream)
    logger.addHandler(handler)
    token = REQUEST_ID.set("req-0123456789")
    try:
        write(logger)
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_json_line_has_time_level_logger_message_the_event_fields_and_the_request_id(logger):
    text = _written(logger, "json", lambda log: log_event(log, "grade.posted", posting_id=7, attempts=2))

    line = json.loads(text)
    assert line["level"] == "info" and line["logger"] == "tests.logging_setup" and line["time"].endswith("+00:00")
    assert (line["message"], line["event"], line["posting_id"], line["attempts"]) == ("grade.posted", "grade.posted",
                                                                                       7, 2)
    assert line["request_id"] == "req-0123456789"


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_tokens_and_e_mail_addresses_are_redacted_from_messages_fields_and_tracebacks(logger, log_format):
    def write(log: logging.Logger) -> None:
        try:
            raise ValueError(f"bad token {ID_TOKEN}")
        except ValueError:
            log.exception("refused /lti/launch?id_token=%s&_t=tab-secret for ada@example.edu", "raw-value",
                          extra={"claims": ID_TOKEN})

    text = _written(logger, log_format, write)

    assert ID_TOKEN not in text and "raw-value" not in text and "tab-secret" not in text
    assert "ada@example.edu" not in text and "[redacted e-mail]" in text and "[redacted token]" in text


def test_a_text_line_shows_the_request_id_and_fields_for_a_person_to_read(logger):
    text = _written(logger, "text", lambda log: log_event(log, "roster.synced", resource_link_id=3, added=12))

    assert "INFO tests.logging_setup [req-0123456789]: roster.synced resource_link_id=3 added=12" in text


def test_configuring_twice_leaves_one_handler_of_ours_on_the_root_logger():
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        configure_logging("text", stream=io.StringIO())
        handler = configure_logging("json", stream=io.StringIO())

        assert [h for h in root.handlers if h not in before] == [handler]
    finally:
        root.handlers[:] = before
        root.setLevel(level)
