"""Single-use, expiring invitations to register a platform by Dynamic Registration; only their hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from sqlalchemy import CursorResult, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from assessment.db import Base, utcnow

DEFAULT_HOURS = 24
MAX_HOURS = 24 * 14
INVITE_PARAMETER = "invite"


class RegistrationInvite(Base):
    """An administrator's invitation: who made it, until when it is good, and when (and into what) it was used."""

    __tablename__ = "registration_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(255))
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_invite(session: Session, *, created_by: str, hours: int = DEFAULT_HOURS,
                 now: datetime | None = None) -> str:
    """A new invitation's token (shown once; the caller commits)."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"an invitation lasts between 1 and {MAX_HOURS} hours")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(RegistrationInvite(token_hash=_hash(token), created_at=now, expires_at=now + timedelta(hours=hours),
                                   created_by=created_by[:255]))
    session.flush()
    return token


def valid_invite(session: Session, token: str | None, now: datetime | None = None) -> RegistrationInvite | None:
    """The unused, unexpired invitation this token names, or None."""
    if not token or len(token) > 200:
        return None
    invite = session.scalars(select(RegistrationInvite).where(RegistrationInvite.token_hash == _hash(token))).first()
    if invite is None or invite.used_at is not None or invite.expires_at <= (now or utcnow()):
        return None
    return invite


def consume_invite(session: Session, token: str, platform_id: int, now: datetime | None = None) -> bool:
    """Mark the invitation used for this platform, in the caller's transaction; False when it is no longer valid
    (used meanwhile by a concurrent registration, or expired)."""
    now = now or utcnow()
    # An UPDATE's result is a CursorResult, which has a rowcount.
    result = cast(CursorResult[Any], session.execute(
        update(RegistrationInvite)
        .where(RegistrationInvite.token_hash == _hash(token), RegistrationInvite.used_at.is_(None),
               RegistrationInvite.expires_at > now)
        .values(used_at=now, platform_id=platform_id)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def registration_url(tool_base_url: str, token: str) -> str:
    """The URL to paste into the LMS; the LMS appends its own openid_configuration and registration_token."""
    return f"{tool_base_url}/lti/register?{urlencode({INVITE_PARAMETER: token})}"
