"""Tab tokens, id_tokens and states never reach a log: every logger the tool or its server writes through redacts them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from lti_tool.app import create_app
from lti_tool.database import dispose_database

SECRETS = "_t=eyJ0YWIi.secret-tab.sig&id_token=eyJhbGci.secret-jwt.sig&state=secret-state"
REQUEST_LINE = f"GET /links/3/me?{SECRETS}&page=2 HTTP/1.1"


@pytest.fixture
def captured(settings) -> Iterator[dict[str, io.StringIO]]:
    """A stream behind root's handler and behind each server logger's own handler, as gunicorn sets them up
    before it loads the app; the app is created afterwards."""
    streams: dict[str, io.StringIO] = {}
    added: list[tuple[logging.Logger, logging.Handler, bool]] = []
    for name in ("root", "werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(None if name == "root" else name)
        streams[name] = io.StringIO()
        handler = logging.StreamHandler(streams[name])
        added.append((logger, handler, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        if name != "root":
            logger.propagate = False
    app = create_app(settings)
    yield streams
    dispose_database(app)
    for logger, handler, propagate in added:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _assert_redacted(text: str) -> None:
    assert "secret" not in text
    assert "_t=[redacted]" in text and "id_token=[redacted]" in text and "state=[redacted]" in text
    assert "page=2" in text


def test_werkzeugs_request_log_is_redacted(captured):
    logging.getLogger("werkzeug").info('%s - - "%s" %s', "127.0.0.1", REQUEST_LINE, "200")

    _assert_redacted(captured["werkzeug"].getvalue())


def test_gunicorns_access_log_with_its_atoms_is_redacted(captured):
    atoms = {"h": "127.0.0.1", "r": REQUEST_LINE, "q": SECRETS + "&page=2", "s": "200",
             "{referer}i": f"https://peerlti.example.edu/links/3?{SECRETS}&page=2"}

    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s %(q)s "%({referer}i)s"', atoms)

    _assert_redacted(captured["gunicorn.access"].getvalue())


def test_gunicorns_error_log_is_redacted(captured):
    logging.getLogger("gunicorn.error").error("Error handling request %s", f"/links/3/me?{SECRETS}&page=2")

    _assert_redacted(captured["gunicorn.error"].getvalue())


def test_everything_that_reaches_the_root_handlers_is_redacted(captured):
    logging.getLogger("lti_tool.anything").warning(f"slow request /links/3?{SECRETS}&page=2")

    _assert_redacted(captured["root"].getvalue())


def test_words_that_merely_contain_the_names_are_kept(captured):
    logging.getLogger("werkzeug").info("lti_storage_target=_parent restate=1 x_t=2")

    assert "lti_storage_target=_parent restate=1 x_t=2" in captured["werkzeug"].getvalue()


def test_a_secret_passed_as_an_argument_after_its_name_is_redacted_and_the_line_still_written(captured):
    logging.getLogger("lti_tool.anything").warning("login went back with state=%s and _t=%s on page=%d",
                                                   "secret-state", "secret-tab", 2)

    assert captured["root"].getvalue() == "login went back with state=[redacted] and _t=[redacted] on page=2\n"
