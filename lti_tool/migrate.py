"""Running the Alembic migrations from code: the CLI, `make run` and the tests share this."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

if TYPE_CHECKING:
    from lti_tool.key_vault import KeyVault

# Where a migration that encrypts or decrypts tool keys finds the vault (else it builds one from the environment).
KEY_VAULT_ATTRIBUTE = "key_vault"

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
