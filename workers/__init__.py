"""Celery workers: aggregation and grade passback, run outside any web request."""
