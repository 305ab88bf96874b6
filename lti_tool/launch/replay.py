"""Consumed id_token nonces: each launch token is accepted once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from assessment.db import Base, rows_changed


class ConsumedNonce(Base):
    """A nonce already used; kept until its id_token could no longer verify anyway."""

    __tablename__ = "consumed_nonces"
    __table_args__ = (UniqueConstraint("platform_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)


def nonce_was_used(session: Session, platform_id: int, nonce: str) -> bool:
    query = select(ConsumedNonce.id).where(ConsumedNonce.platform_id == platform_id, ConsumedNonce.nonce == nonce)
    return session.scalars(query).first() is not None


def consume_nonce(session: Session, platform_id: int, nonce: str, expires_at: datetime) -> None:
    """Record the nonce; the unique constraint stops a concurrent replay that passed the check."""
    session.add(ConsumedNonce(platform_id=platform_id, nonce=nonce, expires_at=expires_at))


def forget_expired_nonces(session: Session, now: datetime) -> int:
    """Delete the nonces whose id_tokens can no longer verify (their exp and the clock leeway passed): a replay of
    such a token is refused as expired. How many went; the caller commits."""
    return rows_changed(session, delete(ConsumedNonce).where(ConsumedNonce.expires_at < now))
