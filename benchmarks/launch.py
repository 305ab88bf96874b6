"""Benchmark of LTI launches: peerlti beside a bare pylti1p3 tool (the floor), both launched by the sandbox LMS."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable as `python benchmarks/launch.py`

import requests  # noqa: E402
from sqlalchemy import event  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from assessment.db import make_engine, make_session_factory  # noqa: E402
from config.settings import Settings  # noqa: E402
from lti_tool import migrate  # noqa: E402
from lti_tool.app import create_app  # noqa: E402
from lti_tool.database import EXTENSION as SESSIONS  # noqa: E402
from lti_tool.registry import PlatformSpec, register_platform  # noqa: E402
from sandbox.app import create_sandbox_app  # noqa: E402
from sandbox.config import SandboxConfig  # noqa: E402
from sandbox.course import DEMO_COURSE  # noqa: E402
from sandbox.keys import KEY_FILE_NAME, load_or_create_platform_key  # noqa: E402
from sandbox.registration import registration_record  # noqa: E402
from tests.support.lms import auto_post_form  # noqa: E402
from tests.support.services import postgres_database  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Shared by each server's workers (read from the environment there), new for every run.
SECRET = os.environ.get("LAUNCH_BENCH_SECRET") or secrets.token_urlsafe(48)
os.environ["LAUNCH_BENCH_SECRET"] = SECRET
USERS = tuple(person.user_id for person in DEMO_COURSE.people)
NO_LIMIT = "1000000/minute"  # the benchmark launches from one address, far faster than any class
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the in-process servers of the statement count


# ---- the servers -------------------------------------------------------------------------------------------------

def sandbox_from_env():
    """The sandbox LMS for gunicorn: which tool it launches comes from the environment."""
    return create_sandbox_app(_sandbox_config(os.environ["SANDBOX_BASE_URL"], os.environ["SANDBOX_TOOL_URL"],
                                              Path(os.environ["SANDBOX_INSTANCE"])))


def _sandbox_config(base_url: str, tool_url: str, instance: Path) -> SandboxConfig:
    return SandboxConfig(base_url=base_url, tool_base_url=tool_url, instance_path=str(instance),
                         secret_key=SECRET)


def _peerlti_env(database_url: str, tool_url: str, instance: Path) -> dict[str, str]:
    return {"PEERLTI_ENV": "development", "PEERLTI_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET, "TOOL_BASE_URL": tool_url, "RATE_LIMIT_LOGIN": NO_LIMIT,
            "RATE_LIMIT_LAUNCH": NO_LIMIT, "LIBREOFFICE": "off"}


def _bare_env(sandbox_url: str, tool_url: str) -> dict[str, str]:
    record = registration_record(_sandbox_config(sandbox_url, tool_url, Path()))
    return {"BARE_TOOL_ISSUER": record["issuer"], "BARE_TOOL_CLIENT_ID": record["client_id"],
            "BARE_TOOL_DEPLOYMENT_ID": record["deployment_ids"][0], "BARE_TOOL_AUTH_URL": record["auth_login_url"],
            "BARE_TOOL_TOKEN_URL": record["auth_token_url"], "BARE_TOOL_KEY_SET_URL": record["key_set_url"],
            "BARE_TOOL_BASE_URL": tool_url, "BARE_TOOL_SECRET_KEY": SECRET}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Serving:
    """How the servers run: gunicorn with sync workers as in production, or Werkzeug's threads without it."""

    gunicorn: bool
    workers: int

    def command(self, app: str, port: int, workers: int | None = None) -> list[str]:
        if self.gunicorn:
            return [sys.executable, "-m", "gunicorn", "--workers", str(workers or self.workers), "--worker-class",
                    "sync", "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning",
                    "--pythonpath", f"{ROOT},{ROOT / 'benchmarks'}", app]
        return [sys.executable, str(Path(__file__)), "serve", app, str(port)]


@contextmanager
def _server(serving: Serving, app: str, port: int, env: dict[str, str], workers: int | None = None) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(serving.command(app, port, workers), env=os.environ | env, cwd=ROOT)  # noqa: S603
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(url + "/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start on port {port}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _serve_one(app_spec: str, port: int) -> None:
    """`launch.py serve module:app` or `module:factory()`: Werkzeug's threaded server, when gunicorn is missing."""
    module_name, _, name = app_spec.partition(":")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    app = getattr(importlib.import_module(module_name), name.removesuffix("()"))
    make_server("127.0.0.1", port, app() if name.endswith("()") else app, threaded=True).serve_forever()


# ---- one launch --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    tool: float  # the tool's two requests: login initiation and the launch itself
    whole: float  # login, the platform's authorisation, launch


def login_urls(sandbox_url: str) -> dict[str, str]:
    """Each person's login initiation URL, as the sandbox's course page sends them to the tool (the same every time)."""
    urls = {}
    for user in USERS:
        response = requests.get(f"{sandbox_url}/launch/{user}", allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text[:300]
        urls[user] = response.headers["Location"]
    return urls


def launch(login_url: str) -> Timing:
    """One launch in a new browser: the tool's login, the platform's id_token, the form post to the tool."""
    with requests.Session() as browser:
        start = time.perf_counter()
        login = browser.get(login_url, allow_redirects=False, timeout=60)
        after_login = time.perf_counter()
        assert login.status_code == 302, f"login answered {login.status_code}: {login.text[:300]}"
        authorisation = browser.get(login.headers["Location"], timeout=60)
        action, fields = auto_post_form(authorisation.text)
        before_launch = time.perf_counter()
        landing = browser.post(action, data=fields, allow_redirects=False, timeout=60)
        end = time.perf_counter()
    assert landing.status_code in (302, 303), f"launch answered {landing.status_code}: {landing.text[:300]}"
    return Timing(tool=(after_login - start) + (end - before_launch), whole=end - start)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def sequential(urls: dict[str, str], count: int) -> dict[str, float]:
    timings = [launch(urls[USERS[i % len(USERS)]]) for i in range(count)]
    tool = [t.tool for t in timings]
    return {"p50_ms": _ms(_percentile(tool, 0.5)), "p95_ms": _ms(_percentile(tool, 0.95)),
            "whole_p50_ms": _ms(_percentile([t.whole for t in timings], 0.5))}


def concurrent(urls: dict[str, str], threads: int, count: int) -> dict[str, float]:
    with ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        timings = list(pool.map(lambda i: launch(urls[USERS[i % len(USERS)]]), range(count)))
        wall = time.perf_counter() - start
    return {"p50_ms": _ms(_percentile([t.tool for t in timings], 0.5)),
            "whole_p50_ms": _ms(_percentile([t.whole for t in timings], 0.5)),
            "launches_per_s": round(count / wall, 1)}


# ---- statements per launch ---------------------------------------------------------------------------------------

def statements_per_launch(database_url: str, instance: Path) -> dict[str, int]:
    """The SQL statements of peerlti's launch request: a person's first launch, then their launch again."""
    tool_port, sandbox_port = _free_port(), _free_port()
    tool_url, sandbox_url = f"http://127.0.0.1:{tool_port}", f"http://127.0.0.1:{sandbox_port}"
    config = _sandbox_config(sandbox_url, tool_url, instance / "counting-sandbox")
    _register(database_url, config)
    app = create_app(Settings.from_env(_peerlti_env(database_url, tool_url, instance / "counting-tool")))
    tool = make_server("127.0.0.1", tool_port, app, threaded=True)
    sandbox = make_server("127.0.0.1", sandbox_port, create_sandbox_app(config), threaded=True)
    for server in (tool, sandbox):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    seen: list[str] = []

    def record(conn, cursor, statement, *rest) -> None:
        seen.append(statement)

    engine = app.extensions[SESSIONS].kw["bind"]
    try:
        urls = login_urls(sandbox_url)
        counts = {}
        for name in ("first", "returning"):
            with requests.Session() as browser:
                login = browser.get(urls["student-1"], allow_redirects=False, timeout=30)
                action, fields = auto_post_form(browser.get(login.headers["Location"], timeout=30).text)
                seen.clear()
                event.listen(engine, "before_cursor_execute", record)
                try:
                    assert browser.post(action, data=fields, allow_redirects=False, timeout=30).status_code == 303
                finally:
                    event.remove(engine, "before_cursor_execute", record)
                counts[name] = len(seen)
        return counts
    finally:
        tool.shutdown()
        sandbox.shutdown()
        engine.dispose()


def _register(database_url: str, config: SandboxConfig) -> None:
    with make_session_factory(make_engine(database_url))() as session:
        register_platform(session, PlatformSpec(**registration_record(config)))
        session.commit()
        session.get_bind().dispose()


# ---- the run -----------------------------------------------------------------------------------------------------

def _summary(rounds: list[dict[str, dict[str, dict[str, float]]]]) -> dict[str, object]:
    """Median over the rounds of each figure, and peerlti's ratio to the floor (time: peerlti / bare)."""
    def median(tool: str, phase: str, figure: str) -> float:
        return round(statistics.median(r[tool][phase][figure] for r in rounds), 1)

    out: dict[str, object] = {}
    for phase, figures in (("sequential", ("p50_ms", "p95_ms")), ("concurrent", ("p50_ms", "launches_per_s"))):
        for figure in figures:
            bare, peerlti = median("bare", phase, figure), median("peerlti", phase, figure)
            ratio = round(peerlti / bare, 2) if figure != "launches_per_s" else round(bare / peerlti, 2)
            out[f"{phase}_{figure}"] = {"peerlti": peerlti, "bare_pylti1p3": bare, "ratio": ratio}
    return out


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["serve"]:
        _serve_one(argv[1], int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("DATABASE_URL", DEFAULT_SERVER),
                        help="a PostgreSQL server URL; a throwaway database is made on it")
    parser.add_argument("--sequential", type=int, default=200, help="launches one after another, per round")
    parser.add_argument("--threads", type=int, default=100, help="launches in flight at once")
    parser.add_argument("--concurrent", type=int, default=600, help="launches by the threads, per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers of each tool")
    parser.add_argument("--sandbox-workers", type=int, default=4, help="gunicorn sync workers of each sandbox")
    parser.add_argument("--werkzeug", action="store_true", help="serve with Werkzeug's threads even if gunicorn is here")
    args = parser.parse_args(argv)

    serving = Serving(gunicorn=not args.werkzeug and importlib.util.find_spec("gunicorn") is not None,
                      workers=args.workers)
    if not serving.gunicorn and not args.werkzeug:
        print("gunicorn is not installed: the tools run on Werkzeug's threaded server, which is not what production "
              "runs and gives other figures. `pip install gunicorn` to measure as intended.", file=sys.stderr)
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database(args.server, prefix="peerlti_bench_launch"))
        instance = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="launch-bench-")))
        migrate.upgrade(database_url)
        # One platform, one key: both sandboxes sign with the same key file.
        key = instance / "platform-key"
        key.mkdir()
        load_or_create_platform_key(key)
        for name in ("sandbox-bare", "sandbox-peerlti", "counting-sandbox"):
            (instance / name).mkdir()
            shutil.copy(key / KEY_FILE_NAME, instance / name / KEY_FILE_NAME)

        counts = statements_per_launch(database_url, instance)
        ports = {name: _free_port() for name in ("bare", "peerlti", "sandbox-bare", "sandbox-peerlti")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        _register(database_url, _sandbox_config(urls["sandbox-peerlti"], urls["peerlti"], Path()))
        login = {}
        for tool, app, env in (
            ("bare", "bare_lti_tool:bare_tool_from_env()", _bare_env(urls["sandbox-bare"], urls["bare"])),
            ("peerlti", "lti_tool.wsgi:app", _peerlti_env(database_url, urls["peerlti"], instance / "peerlti")),
        ):
            sandbox_env = {"SANDBOX_BASE_URL": urls[f"sandbox-{tool}"], "SANDBOX_TOOL_URL": urls[tool],
                           "SANDBOX_INSTANCE": str(instance / f"sandbox-{tool}")}
            stack.enter_context(_server(serving, "launch:sandbox_from_env()", ports[f"sandbox-{tool}"], sandbox_env,
                                        args.sandbox_workers))
            stack.enter_context(_server(serving, app, ports[tool], env))
            login[tool] = login_urls(urls[f"sandbox-{tool}"])
            for url in login[tool].values():  # everyone has launched once: the runs measure returning people
                launch(url)

        rounds = []
        for number in range(args.rounds):
            result: dict[str, dict[str, dict[str, float]]] = {}
            # Interleaved, so that a slower moment of the machine falls on both tools.
            for tool in ("bare", "peerlti") if number % 2 == 0 else ("peerlti", "bare"):
                result[tool] = {"sequential": sequential(login[tool], args.sequential),
                                "concurrent": concurrent(login[tool], args.threads, args.concurrent)}
                print(json.dumps({"bench": "launch", "round": number + 1, "tool": tool} | result[tool]), flush=True)
            rounds.append(result)
        print(json.dumps({
            "bench": "launch", "server": f"gunicorn, {args.workers} sync workers" if serving.gunicorn
            else "werkzeug threaded" + ("" if args.werkzeug else " (gunicorn missing)"), "database": "postgresql",
            "rounds": args.rounds,
            "sequential_launches": args.sequential, "threads": args.threads, "concurrent_launches": args.concurrent,
            "peerlti_statements": {"first_launch": counts["first"], "returning_launch": counts["returning"]},
            "bare_pylti1p3_statements": 0,
        } | _summary(rounds)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
