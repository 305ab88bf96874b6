"""Running the Alembic migrations from code: the CLI, `make run` and the tests share this."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy import Connection, Engine, String, column, inspect, select, table

if TYPE_CHECKING:
    from lti_tool.key_vault import KeyVault

# Where a migration that encrypts or decrypts tool keys finds the vault (else it builds one from the environment).
KEY_VAULT_ATTRIBUTE = "key_vault"

log = logging.getLogger(__name__)
VERSION_TABLE = "alembic_version"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str, connection: Connection | None = None, vault: KeyVault | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    if vault is not None:
        config.attributes[KEY_VAULT_ATTRIBUTE] = vault
    return config


def upgrade(database_url: str, revision: str = "head", connection: Connection | None = None,
            vault: KeyVault | None = None) -> None:
    command.upgrade(alembic_config(database_url, connection, vault), revision)


def downgrade(database_url: str, revision: str, connection: Connection | None = None,
              vault: KeyVault | None = None) -> None:
    command.downgrade(alembic_config(database_url, connection, vault), revision)


class SchemaNotCurrent(RuntimeError):
    """The database is behind the migrations' head; the message is one line an administrator acts on."""


@dataclass(frozen=True)
class SchemaStatus:
    """Whether this release can serve on the database (`usable`), and the state of its schema in one line."""

    usable: bool
    summary: str


def schema_status(connection: Connection) -> SchemaStatus:
    """Compare the database's revision with this release's migrations.

    1. At the head: usable.
    2. Never migrated, or behind the head: not usable; the tables the code reads may not exist.
    3. Ahead (a revision this release does not know, written by a newer one): usable. During a rolling upgrade the
       database is migrated while the older release still serves, and its processes restart now and then
       (gunicorn's max_requests); refusing them would take the old instances down before the new ones are up.
       Migrations are written to keep the previous release working."""
    scripts = _scripts()
    heads = set(scripts.get_heads())
    # Read directly, not through a MigrationContext, which logs two lines each time: /readyz runs this often.
    has_versions = inspect(connection).has_table(VERSION_TABLE)
    versions = select(column("version_num", String)).select_from(table(VERSION_TABLE))
    current = set(connection.scalars(versions)) if has_versions else set()
    head = ", ".join(sorted(heads))
    if current == heads:
        return SchemaStatus(True, "at the migration head")
    if not current:
        return SchemaStatus(False, f"the database is not migrated (head is {head}): run `peerlti db upgrade`")
    unknown = sorted(revision for revision in current if not _known(scripts, revision))
    if unknown:
        return SchemaStatus(True, f"at revision {', '.join(unknown)}, newer than this release's head {head} "
                                  "(migrated by a newer release)")
    return SchemaStatus(False, f"the database is at revision {', '.join(sorted(current))}, behind the head {head}: "
                               "run `peerlti db upgrade`")


def require_current_schema(engine: Engine) -> None:
    """Refuse to start on a database the code does not match (a missing table would fail a request, not the start)."""
    with engine.connect() as connection:
        status = schema_status(connection)
    if not status.usable:
        raise SchemaNotCurrent(status.summary)
    if status.summary != "at the migration head":
        log.warning("database %s", status.summary)


@cache
def _scripts() -> ScriptDirectory:
    # Read once per process: the migration files do not change under a running server, and /readyz asks often.
    return ScriptDirectory(str(MIGRATIONS))


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except AlembicError:
        return False
