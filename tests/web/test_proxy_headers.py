"""Forwarded headers are believed only from as many proxies as the settings trust."""

from __future__ import annotations

import pytest
from flask import request

from lti_tool.app import create_app
from lti_tool.database import dispose_database
from tests.conftest import make_settings


@pytest.fixture
def scheme_seen(tmp_path, database_url, engine):
    """A client of an app built with `env`, and a route that answers the scheme and address the app believes."""
    apps = []

    def client(**env: str):
        app = create_app(make_settings(tmp_path, database_url, **env))
        app.add_url_rule("/seen", "seen", lambda: f"{request.scheme} {request.remote_addr}")
        apps.append(app)
        return app.test_client()
    yield client
    for app in apps:
        dispose_database(app)


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.7"}


def test_by_default_no_forwarded_header_is_believed(scheme_seen):
    seen = scheme_seen().get("/seen", headers=FORWARDED).get_data(as_text=True)

    assert seen == "http 127.0.0.1"


def test_a_trusted_proxy_sets_the_scheme_and_client_address(scheme_seen):
    client = scheme_seen(PROXY_FIX_X_FOR="1", PROXY_FIX_X_PROTO="1")

    assert client.get("/seen", headers=FORWARDED).get_data(as_text=True) == "https 192.0.2.7"


def test_the_scheme_is_believed_only_when_its_own_setting_trusts_it(scheme_seen):
    client = scheme_seen(PROXY_FIX_X_FOR="1")

    assert client.get("/seen", headers=FORWARDED).get_data(as_text=True) == "http 192.0.2.7"
