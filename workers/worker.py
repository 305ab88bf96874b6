"""Entry point for `celery -A workers.worker worker`: the one place a Celery app is built at import."""

from workers.celery_app import make_celery

app = make_celery()
