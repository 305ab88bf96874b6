"""The `peerlti` administration command against a real database."""

from __future__ import annotations

import json
import re
import socket

import jwt
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

from assessment.db import make_engine
from lti_tool.cli import main
from lti_tool.installation.invites import RegistrationInvite, valid_invite
from lti_tool.key_vault import KeyVault, UndecryptableKey
from lti_tool.keys import public_jwks
from lti_tool.registry import Platform, ToolKey
from sandbox.config import SandboxConfig
from sandbox.registration import registration_record
from tests.conftest import TEST_SECRET

FLAGS = [
    "--name", "Moodle at Example", "--issuer", "https://moodle.example.edu", "--client-id", "abc123",
    "--auth-login-url", "https://moodle.example.edu/mod/lti/auth.php",
    "--auth-token-url", "https://moodle.example.edu/mod/lti/token.php",
    "--key-set-url", "https://moodle.example.edu/mod/lti/certs.php",
    "--deployment-id", "1",
]


@pytest.fixture(autouse=True)
def _example_names_do_not_resolve(monkeypatch):
    """The made-up hosts of these tests (*.example.edu) fail to resolve at once, as they would with working DNS,
    rather than after the resolver's timeout on a machine without it. A registration accepts a name that does not
    resolve here (its requests are checked when made), so no test depends on the answer."""
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and (host.endswith(".example.edu") or host.endswith(".example")):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def run(tmp_path, database_url, engine):
    env = {"DATABASE_URL": database_url, "PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET}

    def invoke(*args: str, input: str | None = None, **extra_env: str):
        return CliRunner().invoke(main, list(args), env=env | extra_env, input=input, catch_exceptions=False)
    return invoke


def test_platform_add_registers_a_platform_with_its_deployment_and_a_tool_key(run, session):
    result = run("platform", "add", *FLAGS)

    assert result.exit_code == 0, result.output
    platform = session.scalars(select(Platform)).one()
    assert (platform.issuer, platform.client_id) == ("https://moodle.example.edu", "abc123")
    assert [d.deployment_id for d in platform.deployments] == ["1"]
    assert len(public_jwks(session)["keys"]) == 1


def test_platform_add_again_adds_a_deployment_instead_of_duplicating(run, session):
    run("platform", "add", *FLAGS)
    result = run("platform", "add", *FLAGS, "--deployment-id", "2")

    assert result.exit_code == 0
    platform = session.scalars(select(Platform)).one()
    assert sorted(d.deployment_id for d in platform.deployments) == ["1", "2"]


def test_platform_add_of_an_identical_registration_changes_nothing_and_succeeds(run, session):
    run("platform", "add", *FLAGS)

    result = run("platform", "add", *FLAGS)

    assert result.exit_code == 0, result.output
    assert len(session.scalars(select(Platform)).all()) == 1


def _with(flags: list[str], flag: str, value: str) -> list[str]:
    changed = [*flags]
    changed[changed.index(flag) + 1] = value
    return changed


@pytest.mark.parametrize(("flag", "value"), [
    ("--key-set-url", "https://attacker.example/jwks"),
    ("--auth-token-url", "https://attacker.example/token"),
    ("--auth-login-url", "https://attacker.example/auth"),
])
def test_platform_add_never_changes_the_endpoints_of_an_existing_registration(run, session, flag, value):
    run("platform", "add", *FLAGS)

    result = run("platform", "add", *_with(FLAGS, flag, value))

    assert result.exit_code == 1
    assert "peerlti platform update" in result.output
    session.expire_all()
    assert "attacker" not in session.scalars(select(Platform)).one().__dict__.values().__repr__()


def test_platform_add_never_starts_accepting_every_deployment_of_an_existing_registration(run, session):
    run("platform", "add", *FLAGS)

    result = run("platform", "add", *FLAGS, "--accept-new-deployments")

    assert result.exit_code == 1 and "peerlti platform update" in result.output
    assert not session.scalars(select(Platform)).one().accept_new_deployments


def _record_file(tmp_path, **changes) -> str:
    record = {"name": "Moodle at Example", "issuer": "https://moodle.example.edu", "client_id": "abc123",
              "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
              "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
              "key_set_url": "https://moodle.example.edu/mod/lti/certs.php", "deployment_ids": ["1"]} | changes
    path = tmp_path / "update.json"
    path.write_text(json.dumps(record))
    return str(path)


def test_platform_update_shows_the_changes_and_applies_them_once_confirmed(run, session, tmp_path):
    run("platform", "add", *FLAGS)
    record = _record_file(tmp_path, key_set_url="https://moodle.example.edu/mod/lti/certs2.php")

    refused = run("platform", "update", "--json", record, input="n\n")
    session.expire_all()
    unchanged = session.scalars(select(Platform)).one().key_set_url
    confirmed = run("platform", "update", "--json", record, input="y\n")

    assert "certs.php -> https://moodle.example.edu/mod/lti/certs2.php" in refused.output
    assert refused.exit_code == 1 and unchanged.endswith("certs.php")
    assert confirmed.exit_code == 0, confirmed.output
    session.expire_all()
    assert session.scalars(select(Platform)).one().key_set_url.endswith("certs2.php")


def test_platform_update_with_yes_asks_nothing(run, session, tmp_path):
    run("platform", "add", *FLAGS)

    result = run("platform", "update", "--json", _record_file(tmp_path, audience="https://moodle.example.edu/aud"),
                 "--yes")

    assert result.exit_code == 0, result.output
    assert session.scalars(select(Platform)).one().audience == "https://moodle.example.edu/aud"


def test_platform_update_of_an_unknown_registration_says_to_add_it(run, session, tmp_path):
    result = run("platform", "update", "--json", _record_file(tmp_path), "--yes")

    assert result.exit_code == 2 and "peerlti platform add" in result.output
    assert session.scalars(select(Platform)).all() == []


def test_platform_add_refuses_a_private_address_in_production(run, session):
    result = run("platform", "add", *_with(FLAGS, "--auth-login-url", "https://10.0.0.7/auth"),
                 PEERLTI_ENV="production")

    assert result.exit_code == 2 and "--auth-login-url" in result.output
    assert session.scalars(select(Platform)).all() == []


def test_platform_add_refuses_plain_http_in_production(run, session):
    result = run("platform", "add", *_with(FLAGS, "--key-set-url", "http://moodle.example.edu/certs.php"),
                 PEERLTI_ENV="production")

    assert result.exit_code == 2 and "--key-set-url" in result.output


def test_platform_invite_prints_a_registration_link_that_works_once(run, session):
    result = run("platform", "invite", "--hours", "2", TOOL_BASE_URL="https://peerlti.example.edu")

    assert result.exit_code == 0, result.output
    link = re.search(r"https://peerlti\.example\.edu/lti/register\?invite=(\S+)", result.output)
    assert link and "2 hours" in result.output
    invite = session.scalars(select(RegistrationInvite)).one()
    assert invite.token_hash != link.group(1) and link.group(1) not in invite.token_hash
    assert invite.created_by.startswith("peerlti platform invite")
    assert valid_invite(session, link.group(1)) is not None


@pytest.mark.parametrize("hours", ["0", "100000", "soon"])
def test_platform_invite_refuses_a_lifetime_out_of_range(run, session, hours):
    result = run("platform", "invite", "--hours", hours)

    assert result.exit_code == 2
    assert session.scalars(select(RegistrationInvite)).all() == []


def test_platform_add_reads_a_json_registration_record(run, session, tmp_path):
    record = registration_record(SandboxConfig(base_url="http://localhost:5001", tool_base_url="http://localhost:5000",
                                               instance_path=str(tmp_path)))
    record_file = tmp_path / "registration.json"
    record_file.write_text(json.dumps(record))

    assert run("platform", "add", "--json", str(record_file)).exit_code == 0
    listed = json.loads(run("platform", "list", "--json").output)
    assert listed[0]["issuer"] == "http://localhost:5001"
    assert listed[0]["deployment_ids"] == ["sandbox-deployment-1"]


def test_platform_add_names_the_missing_flags(run, session):
    result = CliRunner().invoke(main, ["platform", "add", "--name", "x"], env={"SECRET_KEY": TEST_SECRET})

    assert result.exit_code == 2
    assert "--issuer" in result.output and "--key-set-url" in result.output


def test_platform_add_refuses_a_url_that_is_not_http(run):
    bad = [*FLAGS]
    bad[bad.index("--key-set-url") + 1] = "ftp://moodle.example.edu/certs"

    result = run("platform", "add", *bad)

    assert result.exit_code == 2 and "--key-set-url must be an http(s) URL" in result.output


def test_platform_list_says_how_to_add_when_empty(run):
    assert "peerlti platform add" in run("platform", "list").output


def test_keys_rotate_keeps_the_previous_key_published(run, session):
    run("platform", "add", *FLAGS)
    result = run("keys", "rotate")

    assert result.exit_code == 0 and "JWKS now serves 2 keys" in result.output


def test_db_upgrade_creates_a_fresh_sqlite_database(run, tmp_path):
    result = run("db", "upgrade", DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")

    assert result.exit_code == 0 and (tmp_path / "fresh.db").exists()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_db_downgrade_asks_first_and_changes_nothing_when_refused(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    run("db", "upgrade", DATABASE_URL=url)

    result = run("db", "downgrade", "base", DATABASE_URL=url, input="n\n")

    assert result.exit_code == 1 and "nothing was changed" in result.output
    assert "tool_keys" in _tables(url)


def test_db_downgrade_with_yes_takes_the_schema_back_to_the_revision(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    run("db", "upgrade", DATABASE_URL=url)

    result = run("db", "downgrade", "base", "--yes", DATABASE_URL=url)

    assert result.exit_code == 0 and "database at revision base" in result.output
    assert _tables(url) == {"alembic_version"}


def test_a_wrong_setting_is_reported_naming_the_variable(run):
    result = run("platform", "list", DATABASE_URL="mysql://root@localhost/x")

    assert result.exit_code == 2 and "DATABASE_URL" in result.output


def _stored_tool_key_values(engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM tool_keys")).mappings().all()
    return [str(value) for row in rows for value in row.values()]


def test_tool_private_keys_are_stored_encrypted_never_as_pem(run, engine):
    assert run("keys", "rotate").exit_code == 0

    stored = _stored_tool_key_values(engine)
    assert stored and not any("PRIVATE KEY" in value for value in stored)


NEW_SECRET = "a-new-secret-key-chosen-after-the-old-one-leaked-0123"


def _current_key_signs_with(session, secret: str) -> bool:
    key = session.scalars(select(ToolKey).order_by(ToolKey.id.desc())).first()
    session.expire_all()
    pem = KeyVault(secret).decrypt(key.encrypted_private_key, key.kid)
    token = jwt.encode({"sub": "tool"}, pem, algorithm="RS256")
    return jwt.decode(token, jwt.PyJWK(key.public_jwk).key, algorithms=["RS256"]) == {"sub": "tool"}


def test_after_secret_key_changes_keys_reencrypt_with_the_previous_secret_makes_the_keys_usable_again(run, session):
    run("platform", "add", *FLAGS)
    run("keys", "rotate")

    refused = run("keys", "reencrypt", SECRET_KEY=NEW_SECRET)
    assert refused.exit_code == 1
    assert "cannot be decrypted" in refused.output and "SECRET_KEY_PREVIOUS" in refused.output
    assert "Traceback" not in refused.output

    moved = run("keys", "reencrypt", SECRET_KEY=NEW_SECRET, SECRET_KEY_PREVIOUS=TEST_SECRET)
    assert moved.exit_code == 0 and "2 key(s) re-encrypted" in moved.output

    assert _current_key_signs_with(session, NEW_SECRET)
    with pytest.raises(UndecryptableKey):
        _current_key_signs_with(session, TEST_SECRET)
    again = run("keys", "reencrypt", SECRET_KEY=NEW_SECRET)
    assert again.exit_code == 0 and "already encrypted with the current SECRET_KEY" in again.output


def test_platform_set_says_whether_learner_assistants_are_staff_by_name_or_id(run, session):
    run("platform", "add", *FLAGS)
    platform_id = session.scalars(select(Platform.id)).one()

    by_name = run("platform", "set", "Moodle at Example", "--learner-assistants-are-staff", "yes")
    assert by_name.exit_code == 0, by_name.output
    assert session.scalars(select(Platform)).one().learner_assistants_are_staff
    session.expire_all()

    by_id = run("platform", "set", str(platform_id), "--learner-assistants-are-staff", "no")
    assert by_id.exit_code == 0, by_id.output
    assert not session.scalars(select(Platform)).one().learner_assistants_are_staff


def test_platform_set_adds_and_removes_framing_origins_and_refuses_anything_but_an_origin(run, session):
    run("platform", "add", *FLAGS)

    added = run("platform", "set", "Moodle at Example", "--add-framing-origin", "https://LMS.example.edu:443/",
                "--add-framing-origin", "https://portal.example.edu")
    removed = run("platform", "set", "Moodle at Example", "--remove-framing-origin", "https://portal.example.edu")
    refused = [run("platform", "set", "Moodle at Example", "--add-framing-origin", value)
               for value in ("*", "https://lms.example.edu/course", "https://a.example; script-src *", "javascript:x")]

    assert added.exit_code == removed.exit_code == 0, added.output + removed.output
    assert session.scalars(select(Platform)).one().framing_origins == ["https://lms.example.edu"]
    assert [result.exit_code for result in refused] == [2, 2, 2, 2]


def test_platform_set_names_an_unknown_platform(run):
    result = run("platform", "set", "No such LMS", "--learner-assistants-are-staff", "yes")

    assert result.exit_code == 2 and "no platform has the name" in result.output
