"""Running the Alembic migrations from code: the CLI, `make run` and the tests share this."""

from __future__ import annotations

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
    """The database is not at the migrations' head; the message is one line an administrator acts on."""


def schema_problem(connection: Connection) -> str | None:
    """None when the database is at the head revision, else what is wrong with it, in one line."""
    scripts = _scripts()
    heads = set(scripts.get_heads())
    # Read directly, not through a MigrationContext, which logs two lines each time: /readyz runs this often.
    has_versions = inspect(connection).has_table(VERSION_TABLE)
    versions = select(column("version_num", String)).select_from(table(VERSION_TABLE))
    current = set(connection.scalars(versions)) if has_versions else set()
    if current == heads:
        return None
    head = ", ".join(sorted(heads))
    if not current:
        return f"the database is not migrated (head is {head}): run `peerlti db upgrade`"
    unknown = sorted(revision for revision in current if not _known(scripts, revision))
    if unknown:
        return (f"the database is at revision {', '.join(unknown)}, which this version of peerlti does not know "
                f"(head is {head}): run the version that migrated it, or restore a matching backup")
    return (f"the database is at revision {', '.join(sorted(current))}, behind the head {head}: "
            "run `peerlti db upgrade`")


def require_current_schema(engine: Engine) -> None:
    """Refuse to start on a database the code does not match (a missing table would fail a request, not the start)."""
    with engine.connect() as connection:
        problem = schema_problem(connection)
    if problem is not None:
        raise SchemaNotCurrent(problem)


@cache
def _scripts() -> ScriptDirectory:
    # Read once per process: the migration files do not change under a running server, and /readyz asks often.
    return ScriptDirectory(str(MIGRATIONS))


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except AlembicError:
        return False
