"""One database session per request, from the session factory the app was built with."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from assessment.db import make_engine, make_session_factory
from lti_tool.key_vault import KeyVault, bind_vault

EXTENSION = "peerlti.sessions"


def init_database(app: Flask, database_url: str) -> sessionmaker:
    factory = make_session_factory(make_engine(database_url))
    bind_vault(factory, KeyVault.from_settings(app.config["PEERLTI_SETTINGS"]))
    app.extensions[EXTENSION] = factory
    app.teardown_appcontext(_close_session)
    return factory


def dispose_database(app: Flask) -> None:
    """Close the app's pooled connections (tests and servers that build several apps)."""
    app.extensions[EXTENSION].kw["bind"].dispose()


def db() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION]()
    return g.db_session


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
