"""The workers' metrics: the pool's processes write to one directory and the worker's main process serves their sum."""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from celery import signals
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from config.settings import Settings
from lti_tool.metrics import clear_values

log = logging.getLogger(__name__)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def install(settings: Settings) -> None:
    """Serve /metrics on WORKER_METRICS_PORT from each worker; off (no port) by default."""
    if settings.worker_metrics_port == 0 or settings.metrics_token is None:
        return
    token, port = settings.metrics_token, settings.worker_metrics_port

    def start(**_: Any) -> None:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            log.warning("WORKER_METRICS_PORT is set but PROMETHEUS_MULTIPROC_DIR is not: the pool's processes "
                        "cannot share their metrics, so none are served")
            return
        clear_values(Path(directory))  # before the pool starts: files of an earlier run would be summed with this one's
        server = make_server("0.0.0.0", port, scrape_app(token), handler_class=_Quiet)  # noqa: S104 - scraped from other hosts
        threading.Thread(target=server.serve_forever, name="peerlti-metrics", daemon=True).start()

    signals.worker_init.connect(start, weak=False, dispatch_uid="peerlti.metrics_server")
    signals.worker_process_shutdown.connect(_process_ended, weak=False, dispatch_uid="peerlti.metrics_process_ended")


def scrape_app(token: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI app answering the pool's metrics to a request bearing the token, 401 to any other."""
    expected = f"Bearer {token}".encode()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not hmac.compare_digest(environ.get("HTTP_AUTHORIZATION", "").encode(), expected):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"unauthorized\n"]
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")])
        return [generate_latest(registry)]

    return app


def _process_ended(pid: int | None = None, **_: Any) -> None:
    multiprocess.mark_process_dead(pid or os.getpid())


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would drown the worker's own lines."""
