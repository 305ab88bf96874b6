"""`peerlti platform add-canvas` and `peerlti platform values` against a real database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.cli import main
from lti_tool.keys import public_jwks
from lti_tool.registry import DatabaseToolConf, Platform
from tests.conftest import TEST_SECRET


@pytest.fixture
def run(tmp_path, database_url, engine):
    env = {"DATABASE_URL": database_url, "PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
           "TOOL_BASE_URL": "https://peerlti.example.edu"}

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return invoke


def test_add_canvas_registers_hosted_canvas_by_client_id_with_its_sso_endpoints(run, session):
    result = run("platform", "add-canvas", "--client-id", "10000000000123")

    assert result.exit_code == 0, result.output
    platform = session.scalars(select(Platform)).one()
    assert (platform.issuer, platform.client_id) == ("https://canvas.instructure.com", "10000000000123")
    assert platform.auth_login_url == "https://sso.canvaslms.com/api/lti/authorize_redirect"
    assert platform.auth_token_url == "https://sso.canvaslms.com/login/oauth2/token"
    assert platform.key_set_url == "https://sso.canvaslms.com/api/lti/security/jwks"
    assert len(public_jwks(session)["keys"]) == 1


def test_a_canvas_key_accepts_each_new_deployment_id(run, session):
    run("platform", "add-canvas", "--client-id", "10000000000123")

    deployment = DatabaseToolConf(session).find_deployment_by_params(
        "https://canvas.instructure.com", "42:8865aa05b4b79b64a91a86042e43af5ea8ae79eb", "10000000000123")

    assert deployment is not None


def test_add_canvas_takes_the_beta_and_test_environments(run, session):
    run("platform", "add-canvas", "--client-id", "1", "--issuer", "https://canvas.beta.instructure.com")
    run("platform", "add-canvas", "--client-id", "1", "--issuer", "https://canvas.test.instructure.com")

    platforms = {p.issuer: p for p in session.scalars(select(Platform))}
    assert platforms["https://canvas.beta.instructure.com"].key_set_url == \
        "https://sso.beta.canvaslms.com/api/lti/security/jwks"
    assert platforms["https://canvas.test.instructure.com"].auth_login_url == \
        "https://sso.test.canvaslms.com/api/lti/authorize_redirect"


def test_two_canvas_keys_are_two_registrations_and_repeating_one_changes_nothing(run, session):
    run("platform", "add-canvas", "--client-id", "10000000000123")
    run("platform", "add-canvas", "--client-id", "10000000000456")
    run("platform", "add-canvas", "--client-id", "10000000000123")

    assert sorted(p.client_id for p in session.scalars(select(Platform))) == ["10000000000123", "10000000000456"]


@pytest.mark.parametrize("args", [
    ("--client-id", "abc"),
    ("--client-id", "1", "--issuer", "https://canvas.example.edu"),
    (),
])
def test_add_canvas_refuses_what_is_not_a_canvas_key(run, session, args):
    result = run("platform", "add-canvas", *args)

    assert result.exit_code == 2
    assert session.scalars(select(Platform)).all() == []


def test_values_prints_every_url_a_registration_form_asks_for(run):
    result = run("platform", "values")

    assert result.exit_code == 0, result.output
    for url in ("https://peerlti.example.edu/lti/launch", "https://peerlti.example.edu/lti/login",
                "https://peerlti.example.edu/lti/jwks", "https://peerlti.example.edu/lti/register",
                "https://peerlti.example.edu/lti/canvas.json", "-----BEGIN PUBLIC KEY-----",
                "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"):
        assert url in result.output


def test_values_as_json_name_the_public_key_the_jwks_serves(run, session):
    result = run("platform", "values", "--json")

    values = json.loads(result.output)
    assert values["initiate_login_url"] == "https://peerlti.example.edu/lti/login"
    assert values["redirect_uris"] == ["https://peerlti.example.edu/lti/launch"]
    assert values["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert len(public_jwks(session)["keys"]) == 1
