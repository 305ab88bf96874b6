"""The `peerlti` administration command: database, platform registrations, keys, serving."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessment.db import make_engine, make_session_factory
from config.settings import Settings, SettingsError
from lti_tool import health, migrate
from lti_tool.database import EXTENSION as SESSION_FACTORY
from lti_tool.database import dispose_database
from lti_tool.framing import framing_origin
from lti_tool.installation.canvas import CANVAS_ENVIRONMENTS, DEFAULT_ISSUER
from lti_tool.installation.invites import DEFAULT_HOURS, MAX_HOURS, issue_invite, registration_url
from lti_tool.installation.values import ToolValues, public_key_pem
from lti_tool.key_vault import KeyVault, UndecryptableKey, bind_vault, current_signing_key
from lti_tool.keys import ensure_tool_key, public_jwks, reencrypt_tool_keys, rotate_tool_key
from lti_tool.logging_setup import configure_logging
from lti_tool.migrate import SchemaNotCurrent, require_current_schema
from lti_tool.outbound import OutboundPolicy, OutboundRefused
from lti_tool.registry import (
    TRUSTED_FIELDS,
    Platform,
    PlatformSpec,
    RegistrationConflict,
    find_platform,
    register_platform,
    registration_changes,
    update_platform,
)

REGISTRATION_FIELDS = ("name", "issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url")


class Context:
    """Settings and one engine per command, disposed when the command ends."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env()
            except SettingsError as error:
                raise click.UsageError(str(error)) from None
        return self._settings

    def session(self) -> Session:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
            click.get_current_context().call_on_close(self._engine.dispose)
        factory = make_session_factory(self._engine)
        bind_vault(factory, KeyVault.from_settings(self.settings))
        return factory()


pass_context = click.make_pass_decorator(Context, ensure=True)


class _Commands(click.Group):
    """Errors an administrator acts on are printed as such, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UndecryptableKey as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Commands)
def main() -> None:
    """Administer peerlti: database, LMS registrations, signing keys."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations up to REVISION (creating the SQLite file when needed)."""
    ctx.settings.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(ctx.settings.database_url, revision, vault=KeyVault.from_settings(ctx.settings))
    click.echo(f"database at revision {revision}")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Downgrade without asking.")
@pass_context
def db_downgrade(ctx: Context, revision: str, yes: bool) -> None:
    """Undo migrations down to REVISION (`base` for an empty schema); what they added is dropped with its data."""
    if not yes and not click.confirm(f"Downgrade the database to revision {revision}? Tables and columns added "
                                     "since are dropped with their data.", default=False):
        raise click.ClickException("nothing was changed")
    migrate.downgrade(ctx.settings.database_url, revision, vault=KeyVault.from_settings(ctx.settings))
    click.echo(f"database at revision {revision}")


@main.group()
def platform() -> None:
    """LMS registrations (issuer + client id)."""


def _registration_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that state a registration, shared by `platform add` and `platform update`."""
    options = [
        click.option(
            "--json", "json_file", type=click.File("r"),
            help="A registration record: " + ", ".join(REGISTRATION_FIELDS)
            + ", deployment_ids, audience, accept_new_deployments.",
        ),
        click.option("--name"),
        click.option("--issuer"),
        click.option("--client-id"),
        click.option("--auth-login-url", help="The platform's OIDC authorisation endpoint."),
        click.option("--auth-token-url", help="The platform's OAuth2 token endpoint (for grades and rosters)."),
        click.option("--key-set-url", help="The platform's JWKS URL."),
        click.option("--audience", help="The token endpoint audience, when it differs from the token URL."),
        click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeat for each deployment."),
        click.option("--accept-new-deployments", is_flag=True,
                     help="Accept deployment ids not listed (Canvas creates one per install)."),
    ]
    return functools.reduce(lambda wrapped, option: option(wrapped), reversed(options), command)


@platform.command("add")
@_registration_options
@pass_context
def platform_add(ctx: Context, json_file, **flags) -> None:
    """Register a platform. Stating an existing registration again changes nothing but may add deployment ids;
    its endpoints and keys change only with `peerlti platform update`."""
    spec = _platform_spec(ctx, json.load(json_file) if json_file else {}, flags)
    with ctx.session() as session:
        ensure_tool_key(session)
        try:
            registered = register_platform(session, spec)
        except RegistrationConflict as conflict:
            _echo_changes(conflict.changes)
            raise click.ClickException(
                f"{spec.issuer} (client id {spec.client_id}) is registered already with other endpoints or keys; "
                "nothing was changed. To change them, run `peerlti platform update` with the same options."
            ) from None
        session.commit()
        deployments = ", ".join(d.deployment_id for d in registered.deployments) or "none yet"
        click.echo(
            f"registered {registered.name}: issuer {registered.issuer}, "
            f"client id {registered.client_id}, deployments {deployments}"
        )


@platform.command("update")
@_registration_options
@click.option("--yes", is_flag=True, help="Apply the changes without asking.")
@pass_context
def platform_update(ctx: Context, json_file, yes: bool, **flags) -> None:
    """Change the endpoints, keys or name of an existing registration (same issuer and client id), after
    showing what changes; deployment ids given are added."""
    spec = _platform_spec(ctx, json.load(json_file) if json_file else {}, flags)
    with ctx.session() as session:
        platform = find_platform(session, spec.issuer, spec.client_id)
        if platform is None:
            raise click.UsageError(f"{spec.issuer} has no registration with client id {spec.client_id}; "
                                   "register it with: peerlti platform add")
        changes = registration_changes(platform, spec, ("name", *TRUSTED_FIELDS))
        new_deployments = sorted(set(spec.deployment_ids) - {d.deployment_id for d in platform.deployments})
        if not changes and not new_deployments:
            click.echo("nothing to change")
            return
        _echo_changes(changes)
        for deployment_id in new_deployments:
            click.echo(f"  deployment added: {deployment_id}")
        if not yes and not click.confirm(f"Apply these changes to {platform.name}?", default=False):
            raise click.ClickException("nothing was changed")
        update_platform(session, spec)
        session.commit()
        click.echo(f"updated {spec.issuer} (client id {spec.client_id})")


def _echo_changes(changes: dict[str, tuple[Any, Any]]) -> None:
    for field, (stored, stated) in changes.items():
        click.echo(f"  {field}: {stored} -> {stated}")


@platform.command("invite")
@click.option("--hours", type=click.IntRange(1, MAX_HOURS), default=DEFAULT_HOURS, show_default=True,
              help="How long the link stays valid.")
@pass_context
def platform_invite(ctx: Context, hours: int) -> None:
    """Print a single-use Dynamic Registration link for an LMS administrator (DYNAMIC_REGISTRATION=invite)."""
    with ctx.session() as session:
        token = issue_invite(session, created_by="peerlti platform invite (command line)", hours=hours)
        session.commit()
    click.echo(f"Paste this registration URL into the LMS's tool registration form within {hours} hours; "
               "it works once:")
    click.echo(registration_url(ctx.settings.tool_base_url, token))
    if ctx.settings.dynamic_registration == "open":
        click.echo("(DYNAMIC_REGISTRATION=open: this tool currently accepts registrations without an invitation.)")


def _platform_spec(ctx: Context, record: dict, flags: dict) -> PlatformSpec:
    values: dict[str, Any] = {key: flags.get(key) or record.get(key) for key in (*REGISTRATION_FIELDS, "audience")}
    missing = [key for key in REGISTRATION_FIELDS if not values[key]]
    if missing:
        raise click.UsageError("missing " + ", ".join("--" + key.replace("_", "-") for key in missing))
    policy = OutboundPolicy.from_settings(ctx.settings)
    for key in ("auth_login_url", "auth_token_url", "key_set_url"):
        if not str(values[key]).startswith(("https://", "http://")):
            raise click.UsageError(f"--{key.replace('_', '-')} must be an http(s) URL")
        try:
            # The tool calls these (or sends browsers to them): the outbound rules apply when they are registered.
            policy.check_registered(str(values[key]))
        except OutboundRefused as refusal:
            raise click.UsageError(f"--{key.replace('_', '-')}: {refusal}") from None
    deployment_ids = tuple(flags.get("deployment_ids") or record.get("deployment_ids") or ())
    accept_new = bool(flags.get("accept_new_deployments") or record.get("accept_new_deployments"))
    return PlatformSpec(
        name=str(values["name"]), issuer=str(values["issuer"]), client_id=str(values["client_id"]),
        auth_login_url=str(values["auth_login_url"]), auth_token_url=str(values["auth_token_url"]),
        key_set_url=str(values["key_set_url"]), audience=str(values["audience"]) if values["audience"] else None,
        deployment_ids=tuple(map(str, deployment_ids)), accept_new_deployments=accept_new,
    )


@platform.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def platform_list(ctx: Context, as_json: bool) -> None:
    """Show every registration and its deployments."""
    with ctx.session() as session:
        platforms = session.scalars(select(Platform).order_by(Platform.id)).all()
        rows: list[dict[str, Any]] = [
            {
                "id": p.id, "name": p.name, "issuer": p.issuer, "client_id": p.client_id,
                "auth_login_url": p.auth_login_url, "auth_token_url": p.auth_token_url,
                "key_set_url": p.key_set_url, "audience": p.audience,
                "deployment_ids": [d.deployment_id for d in p.deployments],
                "accept_new_deployments": p.accept_new_deployments,
            }
            for p in platforms
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no platforms registered; add one with: peerlti platform add --help")
    for row in rows:
        click.echo(f"{row['name']}\n  issuer     {row['issuer']}\n  client id  {row['client_id']}\n"
                   f"  deployments {', '.join(row['deployment_ids']) or '-'}"
                   f"{' (new ones accepted)' if row['accept_new_deployments'] else ''}")


@platform.command("add-canvas")
@click.option("--client-id", required=True, help="The developer key's client id (the number under Details).")
@click.option(
    "--issuer", default=DEFAULT_ISSUER, show_default=True, type=click.Choice(list(CANVAS_ENVIRONMENTS)),
    help="Instructure-hosted production, beta or test Canvas.",
)
@click.option("--name", default="Canvas", show_default=True)
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Optional: new deployments are accepted anyway.")
@pass_context
def platform_add_canvas(ctx: Context, client_id: str, issuer: str, name: str, deployment_ids: tuple[str, ...]) -> None:
    """Register a Canvas developer key; each install in Canvas brings its own deployment id, which is accepted."""
    if not client_id.strip().isdigit():
        raise click.UsageError("--client-id: a Canvas client id is the developer key's number, such as 10000000000123")
    environment = CANVAS_ENVIRONMENTS[issuer]
    spec = PlatformSpec(
        name=name, issuer=issuer, client_id=client_id.strip(),
        auth_login_url=environment.auth_login_url, auth_token_url=environment.auth_token_url,
        key_set_url=environment.key_set_url, deployment_ids=deployment_ids, accept_new_deployments=True,
    )
    with ctx.session() as session:
        ensure_tool_key(session)
        try:
            registered = register_platform(session, spec)
        except RegistrationConflict:
            raise click.ClickException(
                f"{issuer} (client id {spec.client_id}) is registered already with other endpoints; nothing was "
                "changed. To change them, run `peerlti platform update`."
            ) from None
        session.commit()
        click.echo(f"registered {registered.name}: issuer {registered.issuer}, client id {registered.client_id}; "
                   "every deployment of this key is accepted")


VALUE_LABELS = {
    "tool_url": "Tool URL (target link URI)",
    "initiate_login_url": "Initiate login URL",
    "redirect_uris": "Redirection URI(s)",
    "public_keyset_url": "Public keyset URL",
    "deep_linking_url": "Deep linking (content selection) URL",
    "scopes": "Services (scopes)",
    "custom_parameters": "Custom parameters",
    "dynamic_registration_url": "Dynamic Registration URL",
    "canvas_json_url": "Canvas developer key JSON URL",
    "public_key_pem": "Public key (PEM)",
}


@platform.command("values")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def platform_values(ctx: Context, as_json: bool) -> None:
    """Print what an LMS's registration form asks of the tool (from TOOL_BASE_URL)."""
    with ctx.session() as session:
        pem = public_key_pem(session)
        session.commit()
    values = ToolValues(ctx.settings.tool_base_url).as_dict(pem)
    if as_json:
        click.echo(json.dumps(values, indent=2))
        return
    for key, label in VALUE_LABELS.items():
        value = values[key]
        if isinstance(value, list):
            value = "\n".join(value)
        if key == "dynamic_registration_url" and ctx.settings.dynamic_registration == "invite":
            value = f"{value}\n(with an invitation: the link `peerlti platform invite` prints)"
        click.echo(f"{label}:\n{value or 'none'}\n")


@platform.command("set")
@click.argument("platform_ref", metavar="NAME_OR_ID")
@click.option(
    "--learner-assistants-are-staff", type=click.Choice(["yes", "no"]),
    help="Whether a launch naming someone both Learner and TeachingAssistant (Open edX forum moderators) is staff; "
         "no (the default) makes them students.",
)
@click.option("--add-framing-origin", "added_origins", multiple=True, metavar="ORIGIN",
              help="Another origin whose pages may show the tool in a frame (such as https://lms.example.edu).")
@click.option("--remove-framing-origin", "removed_origins", multiple=True, metavar="ORIGIN")
@pass_context
def platform_set(ctx: Context, platform_ref: str, learner_assistants_are_staff: str | None,
                 added_origins: tuple[str, ...], removed_origins: tuple[str, ...]) -> None:
    """Change how the tool treats one registered platform (named by its name, or by its id from `platform list --json`)."""
    with ctx.session() as session:
        found = _find_platform_by_ref(session, platform_ref)
        if learner_assistants_are_staff is not None:
            found.learner_assistants_are_staff = learner_assistants_are_staff == "yes"
        origins = list(found.framing_origins or [])
        for value in added_origins:
            origin = framing_origin(value)
            if origin is None:
                raise click.UsageError(f"--add-framing-origin {value!r}: give an origin such as https://lms.example.edu "
                                       "(scheme and host, an optional port, no path)")
            if origin not in origins:
                origins.append(origin)
        removed = {framing_origin(value) or value for value in removed_origins}
        found.framing_origins = [origin for origin in origins if origin not in removed]
        session.commit()
        click.echo(f"{found.name} (id {found.id}): learner-assistants are "
                   f"{'staff' if found.learner_assistants_are_staff else 'students'}; extra framing origins: "
                   f"{' '.join(found.framing_origins) or 'none'} (pages pick this up within a minute)")


def _find_platform_by_ref(session: Session, ref: str) -> Platform:
    if ref.isdigit() and (by_id := session.get(Platform, int(ref))) is not None:
        return by_id
    named = session.scalars(select(Platform).where(Platform.name == ref)).all()
    if len(named) != 1:
        problem = "several platforms have" if named else "no platform has"
        raise click.UsageError(f"{problem} the name {ref!r}; name it by its id (see: peerlti platform list --json)")
    return named[0]


@main.group()
def keys() -> None:
    """The tool's RSA signing keys."""


@keys.command("rotate")
@pass_context
def keys_rotate(ctx: Context) -> None:
    """Make a new signing key; the JWKS keeps serving the previous one until the next rotation."""
    with ctx.session() as session:
        key = rotate_tool_key(session)
        session.commit()
        click.echo(f"new current key {key.kid}; JWKS now serves {len(public_jwks(session)['keys'])} keys")


@keys.command("reencrypt")
@pass_context
def keys_reencrypt(ctx: Context) -> None:
    """Encrypt every signing key with the current SECRET_KEY (after changing it, with SECRET_KEY_PREVIOUS set)."""
    with ctx.session() as session:
        count = reencrypt_tool_keys(session)
        session.commit()
    click.echo(f"{count} key(s) re-encrypted with the current SECRET_KEY" if count
               else "every key is already encrypted with the current SECRET_KEY")
    if ctx.settings.secret_key_previous:
        click.echo("SECRET_KEY_PREVIOUS is no longer needed for the keys; remove it.")


@main.group()
def reminders() -> None:
    """Reminder e-mails to students and daily summaries to staff."""


@reminders.command("send")
@click.option("--every", type=click.IntRange(min=0), default=0,
              help="Seconds between runs, until stopped (0: run once). For a tool without Celery beat, as `make run`.")
@pass_context
def reminders_send(ctx: Context, every: int) -> None:
    """Send the reminders and summaries due now (with a broker, Celery beat does this every 15 minutes)."""
    import time

    from lti_tool.app import create_app
    from lti_tool.enqueue import enqueue

    if ctx.settings.mail is None:
        raise click.ClickException("SMTP_URL is not set: reminders show on the students' pages only")
    app = create_app(ctx.settings)
    try:
        while True:
            with app.app_context():
                result = enqueue("peerlti.send_reminders")
            if result is not None and app.extensions["peerlti.celery"].conf.task_always_eager:
                click.echo(f"reminders: {result.get()}")
            else:
                click.echo("reminders: handed to the workers" if result is not None else "reminders: broker down")
            if not every:
                break
            time.sleep(every)
    finally:
        dispose_database(app)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--cert", type=click.Path(exists=True, path_type=Path), help="TLS certificate (PEM) to serve HTTPS.")
@click.option("--key", type=click.Path(exists=True, path_type=Path), help="TLS private key (PEM).")
@pass_context
def serve(ctx: Context, host: str, port: int, cert: Path | None, key: Path | None) -> None:
    """Serve the tool with the built-in server (development and demos; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from lti_tool.app import create_app

    configure_logging(ctx.settings.log_format, ctx.settings.log_level)
    app = create_app(ctx.settings)
    try:
        require_current_schema(app.extensions[SESSION_FACTORY].kw["bind"])
    except SchemaNotCurrent as problem:
        raise click.ClickException(str(problem)) from None
    with app.app_context():
        from lti_tool.database import db as request_session

        ensure_tool_key(request_session())
        request_session().commit()
        current_signing_key(request_session())  # a key SECRET_KEY cannot decrypt stops here, with what to do
    ssl_context = (str(cert), str(key)) if cert and key else None
    click.echo(f"peerlti serving {ctx.settings.tool_base_url} (JWKS at {ctx.settings.tool_base_url}/lti/jwks)")
    run_simple(host, port, app, threaded=True, ssl_context=ssl_context, use_reloader=False)


@main.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check what the tool needs to serve: the database at the migration head, the broker, the storage, the workers."""
    from lti_tool.app import create_app
    from lti_tool.views.health import readiness_checks

    app = create_app(ctx.settings)
    try:
        checks = readiness_checks(app)
        if ctx.settings.celery_broker_url:
            # Workers only matter with a broker: without one, tasks run inside the web process.
            checks.append(health.workers(app.extensions["peerlti.celery"], ctx.settings.celery_broker_timeout_seconds))
    finally:
        dispose_database(app)
    for check in checks:
        cause = f" ({check.cause})" if check.cause else ""
        click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}{cause}")
    failed = [check.name for check in checks if not check.ok]
    if failed:
        raise click.ClickException(f"not ready: {', '.join(failed)}")
    click.echo("peerlti is ready")


if __name__ == "__main__":
    sys.exit(main())
