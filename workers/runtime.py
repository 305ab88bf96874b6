"""What a worker process builds once: its database sessions and the platform clients' token cache."""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from assessment.db import make_engine, make_session_factory
from config.settings import Settings
from lti_tool.advantage import AdvantageClient, TokenCache, ToolCredentials
from lti_tool.outbound import OutboundClient
from lti_tool.registry import Platform, current_tool_key
from workers.token_cache import DatabaseTokenCache, RedisTokenCache


@cache
def sessions(database_url: str) -> sessionmaker[Session]:
    # Built on first use in each worker process (after the fork), never at import.
    return make_session_factory(make_engine(database_url))


def token_cache(settings: Settings) -> TokenCache:
    broker = settings.celery_broker_url or ""
    if broker.startswith(("redis://", "rediss://")):
        return _redis_cache(broker)
    return DatabaseTokenCache(sessions(settings.database_url))


@cache
def _redis_cache(url: str) -> RedisTokenCache:
    return RedisTokenCache(url)


def advantage_client(session: Session, platform: Platform, settings: Settings) -> AdvantageClient:
    key = current_tool_key(session)
    if key is None:
        raise RuntimeError("The tool has no signing key; run `peerlti keys rotate`.")
    return AdvantageClient(ToolCredentials(platform, key), token_cache(settings), http=outbound_client(settings))


@cache
def outbound_client(settings: Settings) -> OutboundClient:
    """One guarded client per worker process, so connections to a platform are kept alive between tasks."""
    return OutboundClient.from_settings(settings)
