"""gunicorn's settings for production: `gunicorn -c config/gunicorn.py lti_tool.wsgi:app`, tuned by peerlti's settings."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gunicorn import glogging

# Metrics in multiprocess mode: each process writes its values to files in one directory, which /metrics sums. Set
# before anything imports prometheus_client (the app, in each worker), which reads it once; a directory of our own
# unless the operator chose one.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="peerlti-metrics-")

from prometheus_client import multiprocess

from assessment.db import make_engine
from config.settings import Settings, SettingsError
from lti_tool.log_redaction import RedactSecrets
from lti_tool.logging_setup import ContextFields, configure_logging, make_formatter
from lti_tool.metrics import clear_values
from lti_tool.migrate import SchemaNotCurrent, require_current_schema

try:
    _settings = Settings.from_env()
except SettingsError as error:
    raise SystemExit(f"Error: {error}") from None
# The master's own lines (the schema check at start) in the same format as the workers'.
configure_logging(_settings.log_format, _settings.log_level)


def _cores() -> int:
    # The CPUs this process may run on (a container's or a cgroup's share), not every CPU of the host.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# Threaded workers: a request waiting on an LMS (key sets, AGS) or the database leaves the process's other threads
# serving. One process per core, at least two so that one stuck or restarting process never stops the service.
# Each process keeps its own pool of database connections: processes times pool size is what PostgreSQL must allow.
worker_class = "gthread"
workers = _settings.web_workers or max(2, _cores())
threads = _settings.web_threads
# A request still running after this is a stuck worker: gunicorn replaces it. Uploads and grading pages stay below.
timeout = _settings.web_timeout_seconds
# On restart or scale-down, requests in progress get this long to finish before their process is stopped.
graceful_timeout = 30
# Behind a reverse proxy that reuses connections.
keepalive = 5
# Each process is replaced after about this many requests, spread by the jitter so they never all restart at once.
max_requests = _settings.web_max_requests
max_requests_jitter = max_requests // 10
# Forwarded headers are the app's business (PROXY_FIX_X_FOR, PROXY_FIX_X_PROTO); gunicorn itself trusts no peer.
forwarded_allow_ips = ""
# No control socket: nothing here uses it, and two instances on one host would share its default path.
control_socket_disable = True

# The access log keeps no query string and no referrer (tab tokens, id_tokens, states travel there), only the
# method and path, the status, the size, the time, and the request id the app answered with.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = _settings.log_level.lower()


class Logger(glogging.Logger):
    """gunicorn's own lines (errors and access) in the same format as the app's, JSON in production."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(make_formatter(_settings.log_format))
                handler.addFilter(ContextFields())
                handler.addFilter(RedactSecrets())


logger_class = Logger


def on_starting(server: Any) -> None:
    """Refuse to start on a database that is not at the migration head: one line, what to run, no traceback."""
    clear_values(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))  # counters start from zero with each start
    engine = make_engine(_settings.database_url)
    try:
        require_current_schema(engine)
    except SchemaNotCurrent as problem:
        raise RuntimeError(str(problem)) from None  # gunicorn prints "Error: <message>" and exits with status 1
    except Exception as error:  # noqa: BLE001 - a database that cannot be reached is said as plainly
        raise RuntimeError(f"the database cannot be reached ({type(error).__name__}); check DATABASE_URL "
                           "and that the database server is running") from None
    finally:
        engine.dispose()


def child_exit(server: Any, worker: Any) -> None:
    """A process that ended: its gauges leave the sums (its counters and histograms stay, as Prometheus expects)."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if os.environ["PROMETHEUS_MULTIPROC_DIR"].startswith(tempfile.gettempdir() + "/peerlti-metrics-"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
