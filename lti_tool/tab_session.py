"""The tool's session for one browser tab, carried by a signed token on links and forms when cookies are refused."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response, current_app, g, has_request_context, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import String, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from assessment.db import Base, utcnow
from lti_tool.database import EXTENSION as SESSION_FACTORY

# The query parameter on every link and form action of a tab that has no cookies.
TOKEN_PARAMETER = "_t"  # noqa: S105  (a parameter name, not a secret)
# Idle time after which a tab's session ends; each request starts the period again.
IDLE_LIFETIME = timedelta(hours=2)
# Writing the new expiry on every request would cost a write per page; once in a while is enough.
REFRESH_AFTER = timedelta(minutes=5)
# Endpoints whose URLs never carry the token: static files are cached and shared, LTI URLs are given to the LMS.
UNTOKENED_PREFIXES = ("static", "lti.")


class TabSessionRow(Base):
    """One tab's session data, found by the hash of the session id its token names."""

    __tablename__ = "tab_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PeerltiSession(SecureCookieSession):
    """Flask's session, which may instead live server-side for one tab (then `tab_id` names it)."""

    tab_id: str | None = None
    expires_at: datetime | None = None


class TabSessionInterface(SecureCookieSessionInterface):
    """The cookie session as before, unless the request carries a valid tab token: then the tab's stored session."""

    session_class = PeerltiSession

    def open_session(self, app: Flask, request: Request) -> PeerltiSession | None:
        # Only the query string is read here: the body waits for the size and CSRF checks.
        token = request.args.get(TOKEN_PARAMETER)
        if token and _from_the_tools_own_pages(request):
            opened = self._open_tab_session(app, token)
            if opened is not None:
                return opened
        return super().open_session(app, request)  # type: ignore[return-value]

    def _open_tab_session(self, app: Flask, token: str) -> PeerltiSession | None:
        try:
            tab_id = _token_serializer(app).loads(token, max_age=int(IDLE_LIFETIME.total_seconds()))
        except BadSignature:
            return None  # expired or forged: the request goes on without it, as if it had no token
        if not isinstance(tab_id, str):
            return None
        with _store(app) as store:
            row = store.get(TabSessionRow, _row_id(tab_id))
            if row is None or row.expires_at <= utcnow():
                return None
            data = self.get_signing_serializer(app).serializer.loads(row.data)  # type: ignore[union-attr]
        opened = self.session_class(data)
        opened.tab_id, opened.expires_at = tab_id, row.expires_at
        return opened

    def save_session(self, app: Flask, session: PeerltiSession, response: Response) -> None:  # type: ignore[override]
        if session.tab_id is None:
            super().save_session(app, session, response)
            return
        response.headers["Cache-Control"] = "private, no-store"  # pages whose links carry the token
        is_new, now = session.expires_at is None, utcnow()
        if is_new and not session:
            return  # a launch that failed after starting the tab leaves nothing behind
        stale = is_new or session.expires_at - IDLE_LIFETIME + REFRESH_AFTER <= now  # type: ignore[operator]
        if not (session.modified or stale):
            return
        data = self.get_signing_serializer(app).serializer.dumps(dict(session))  # type: ignore[union-attr]
        with _store(app) as store:
            if is_new:
                store.execute(delete(TabSessionRow).where(TabSessionRow.expires_at < now))
            store.merge(TabSessionRow(id=_row_id(session.tab_id), data=data, expires_at=now + IDLE_LIFETIME))
            store.commit()


def _from_the_tools_own_pages(request: Request) -> bool:
    # A token pasted into a link on another site would sign its victim into someone else's tab (session
    # fixation). Browsers say where a navigation came from; the tab's own links and forms are same-origin.
    return request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"


def start_tab_session() -> None:
    """Move this request's session to a new tab of its own, carried from now on by the token on links and forms."""
    assert isinstance(session, PeerltiSession)
    session.clear()
    session.tab_id = secrets.token_urlsafe(32)
    session.expires_at = None
    session.modified = True
    g.pop("tab_token", None)


def current_tab_token() -> str | None:
    """A fresh token for the current tab (its signature age restarts each page, as the idle time does), or None."""
    tab_id = getattr(session, "tab_id", None) if has_request_context() else None
    if tab_id is None:
        return None
    if "tab_token" not in g:
        g.tab_token = _token_serializer(current_app).dumps(tab_id)
    return g.tab_token


def _add_tab_token(endpoint: str, values: dict[str, object]) -> None:
    if endpoint.startswith(UNTOKENED_PREFIXES):
        return
    token = current_tab_token()
    if token is not None:
        values.setdefault(TOKEN_PARAMETER, token)


def _token_serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt="peerlti.tab-session")  # type: ignore[arg-type]


def _row_id(tab_id: str) -> str:
    # Only the hash is stored: a copy of the table alone cannot be turned into working tokens.
    return hashlib.sha256(tab_id.encode()).hexdigest()


def _store(app: Flask) -> Session:
    # A session apart from the request's, so saving the tab never commits a view's unfinished work.
    return app.extensions[SESSION_FACTORY]()


def init_tab_sessions(app: Flask) -> None:
    app.session_interface = TabSessionInterface()
    app.url_defaults(_add_tab_token)
