"""Celery tasks: thin, idempotent, taking ids; the work lives in assessment services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="peerlti.ping")
def ping(token: str) -> str:
    """Answer the token back: lets an administrator and the tests see a worker is consuming the queue."""
    return token
