"""What a worker process builds once: its database sessions, file storage and the platform clients' token cache."""

from __future__ import annotations

import os
from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from assessment.db import make_engine, make_session_factory
from assessment.reading_copies import LibreOffice
from config.settings import Settings
from lti_tool.advantage import AdvantageClient, TokenCache, ToolCredentials
from lti_tool.key_vault import KeyVault, bind_vault, current_signing_key
from lti_tool.outbound import OutboundClient
from lti_tool.registry import Platform
from workers.liveness import Presence
from workers.smtp import Mailer
from workers.token_cache import DatabaseTokenCache, RedisTokenCache


def sessions(settings: Settings) -> sessionmaker[Session]:
    return _sessions(settings.database_url, KeyVault.from_settings(settings))


@cache
def _sessions(database_url: str, vault: KeyVault) -> sessionmaker[Session]:
    # Built on first use in each worker process (after the fork), never at import.
    factory = make_session_factory(make_engine(database_url))
    bind_vault(factory, vault)
    return factory


def libreoffice(settings: Settings) -> LibreOffice:
    return LibreOffice(settings.libreoffice)


def presence(settings: Settings) -> Presence:
    """This worker process's name and liveness lock, shared by its threads."""
    return _presence(settings.database_url, KeyVault.from_settings(settings), os.getpid())


@cache
def _presence(database_url: str, vault: KeyVault, pid: int) -> Presence:
    # Keyed by the process id too: a forked child is another worker, with a lock (and connection) of its own.
    engine = _sessions(database_url, vault).kw["bind"]
    return Presence(engine)


def token_cache(settings: Settings) -> TokenCache:
    broker = settings.celery_broker_url or ""
    if broker.startswith(("redis://", "rediss://")):
        return _redis_cache(broker)
    return DatabaseTokenCache(sessions(settings))


@cache
def _redis_cache(url: str) -> RedisTokenCache:
    return RedisTokenCache(url)


def advantage_client(session: Session, platform: Platform, settings: Settings) -> AdvantageClient:
    key = current_signing_key(session)
    if key is None:
        raise RuntimeError("The tool has no signing key; run `peerlti keys rotate`.")
    return AdvantageClient(ToolCredentials(platform, key), token_cache(settings), http=outbound_client(settings))


@cache
def outbound_client(settings: Settings) -> OutboundClient:
    """One guarded client per worker process, so connections to a platform are kept alive between tasks."""
    return OutboundClient.from_settings(settings)


def mailer(settings: Settings) -> Mailer:
    """A connection to the SMTP relay for one run of reminders (SMTP_URL must be set)."""
    if settings.mail is None:
        raise RuntimeError("SMTP_URL is not set")
    return Mailer(settings.mail)
