"""Benchmark of the student workflow under load: launch, home, hand in, ask for a review, review; with a database check."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable as `python benchmarks/workflow.py`

import requests  # noqa: E402
from sqlalchemy import create_engine, inspect, text  # noqa: E402

from sandbox.app import create_sandbox_app  # noqa: E402
from sandbox.config import SandboxConfig  # noqa: E402
from sandbox.course import DEMO_COURSE, with_extra_learners  # noqa: E402
from sandbox.keys import load_or_create_platform_key  # noqa: E402
from sandbox.registration import registration_record  # noqa: E402
from tests.support.documents import pdf_naming_its_author  # noqa: E402
from tests.support.lms import auto_post_form  # noqa: E402
from tests.support.services import postgres_database  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = os.environ.get("WORKFLOW_BENCH_SECRET") or secrets.token_urlsafe(48)
os.environ["WORKFLOW_BENCH_SECRET"] = SECRET
NO_LIMIT = "1000000/minute"  # every simulated student comes from one address
STEPS = ("launch", "home", "hand_in", "ask_review", "submit_review")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
LEVELS = {"title": "Argument", "scoring": "levels", "weight": "2", "levels": "0 | Missing\n2 | Weak\n4 | Strong"}
RANGE = {"title": "Style", "scoring": "range", "weight": "1", "range_low": "0", "range_high": "10",
         "comment_prompt": "How could it read better?", "comment_required": "y", "comment_min_length": "10"}


# ---- the workload ------------------------------------------------------------------------------------------------

class StepFailed(Exception):
    """A step answered something other than what a working tool answers."""


@dataclass
class Browser:
    """One person's browser on the tool: cookies, the link launched into, the last CSRF token seen."""

    tool_url: str
    session: requests.Session = field(default_factory=requests.Session)
    link_id: int | None = None
    csrf: str | None = None

    def remember(self, response: requests.Response) -> requests.Response:
        match = CSRF.search(response.text)
        if match:
            self.csrf = unescape(match.group(1) or match.group(2))
        return response

    def launch(self, sandbox_url: str, user: str) -> None:
        form = self.session.get(f"{sandbox_url}/launch/{user}", timeout=120)
        action, fields = auto_post_form(form.text)
        landing = self.remember(self.session.post(action, data=fields, timeout=120))
        match = re.search(r"/links/(\d+)$", landing.url)
        if landing.status_code != 200 or not match:
            raise StepFailed(f"launch ended at {landing.status_code} {landing.url}")
        self.link_id = int(match[1])

    def get(self, path: str) -> requests.Response:
        return self.remember(self.session.get(self.tool_url + path.format(link=self.link_id), timeout=120))

    def post(self, path: str, data: dict[str, str], files: dict | None = None) -> requests.Response:
        return self.remember(self.session.post(self.tool_url + path.format(link=self.link_id),
                                               data={"csrf_token": self.csrf or ""} | data, files=files, timeout=120))


def _expect(response: requests.Response, status: int = 200) -> requests.Response:
    if response.status_code != status:
        raise StepFailed(f"{response.request.method} {response.url} answered {response.status_code}")
    return response


@dataclass
class Record:
    """Seconds taken by each step that succeeded, and the failures by step."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, name: str, action: Callable[[], int]) -> bool:
        start = time.perf_counter()
        try:
            sent = action()
        except Exception as error:  # noqa: BLE001 - every failure counts against its step, the run goes on
            with self.lock:
                self.errors[name].append(f"{type(error).__name__}: {error}"[:300])
            return False
        with self.lock:
            self.requests += sent
            self.timings[name].append(time.perf_counter() - start)
        return True


def set_up_assignment(tool_url: str, sandbox_url: str, instructor: str = "instructor-1") -> Browser:
    """The instructor makes a peer assessment at the course's link, with a two-criterion rubric, and opens it."""
    browser = Browser(tool_url)
    browser.launch(sandbox_url, instructor)
    _expect(browser.post("/links/{link}/assignment",
                         {"title": "Essay", "points_possible": "50", "timezone": "Europe/Paris"}))
    _expect(browser.post("/links/{link}/phase", {"phase": ""}))
    _expect(browser.post("/links/{link}/rubric/criteria", LEVELS))
    _expect(browser.post("/links/{link}/rubric/criteria", RANGE))
    return browser


def _hand_in_part(browser: Browser, sandbox_url: str, user: str, with_pdf: bool, record: Record) -> None:
    def launch() -> int:
        browser.launch(sandbox_url, user)
        return 3  # requests to the tool (the sandbox's two are not counted): login, launch post, landing page

    def home() -> int:
        _expect(browser.get("/links/{link}"))
        return 1

    def hand_in() -> int:
        files = {"file": (f"{user}.pdf", pdf_naming_its_author(f"Author {user}"))} if with_pdf else None
        _expect(browser.post("/links/{link}/submission", {"text": f"<p>An essay by {user} on peer review.</p>"},
                             files))
        return 2

    if record.step("launch", launch) and record.step("home", home):
        record.step("hand_in", hand_in)


def _review_part(browser: Browser, record: Record) -> None:
    page: list[requests.Response] = []

    def ask() -> int:
        response = _expect(browser.post("/links/{link}/reviews/next", {}))
        if not re.search(r"/reviews/\d+$", response.url):
            raise StepFailed(f"no review handed out (at {response.url})")
        page.append(response)
        return 2

    def submit() -> int:
        form = page[0].text
        fields = {f"score-{key}": "4" for key in dict.fromkeys(re.findall(r'name="score-([^"]+)"', form))}
        fields |= {f"comment-{key}": "Shorter sentences would help the argument."
                   for key in dict.fromkeys(re.findall(r'name="comment-([^"]+)"', form))}
        version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', form)
        if version:
            fields["version"] = version.group(1) or version.group(2)
        _expect(browser.session.post(page[0].url, data=fields | {"action": "submit", "csrf_token": browser.csrf or ""},
                                     timeout=120))
        return 2

    if browser.link_id is not None and record.step("ask_review", ask):
        record.step("submit_review", submit)


def run_workload(tool_url: str, sandbox_url: str, students: list[str], concurrency: int,
                 pdf_every: int = 3) -> dict[str, object]:
    """The class's workflow with `concurrency` students at a time: first everyone launches, sees their home and hands
    in (text; every `pdf_every`-th student a small PDF too), the instructor opens reviewing, then everyone asks for a
    review and submits it. Returns the throughput, each step's percentiles and the errors by step."""
    instructor = set_up_assignment(tool_url, sandbox_url)
    record = Record()
    browsers = {user: Browser(tool_url) for user in students}
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda pair: _hand_in_part(browsers[pair[1]], sandbox_url, pair[1],
                                                 pdf_every > 0 and pair[0] % pdf_every == 0, record),
                      enumerate(students)))
        opening = time.perf_counter()
        _expect(instructor.post("/links/{link}/phase", {"phase": "review"}))
        reviewing = time.perf_counter()
        list(pool.map(lambda user: _review_part(browsers[user], record), students))
    wall = time.perf_counter() - start - (reviewing - opening)  # the instructor's click is not the students' load
    completed = len(record.timings["submit_review"])
    return {
        "students": len(students), "concurrency": concurrency, "seconds": round(wall, 2),
        "workflows_completed": completed, "workflows_per_s": round(completed / wall, 2),
        "requests": record.requests, "requests_per_s": round(record.requests / wall, 1),
        "steps": {step: _percentiles(record.timings[step]) for step in STEPS},
        "errors": {step: len(record.errors[step]) for step in STEPS},
        "error_samples": {step: record.errors[step][:3] for step in STEPS if record.errors[step]},
        "link_id": instructor.link_id,
    }


def _percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {"count": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}


# ---- the database afterwards -------------------------------------------------------------------------------------

CHECKS = {
    # One submission per student: the unique constraint's promise, and no student without one.
    "duplicate_submissions": "SELECT count(*) FROM (SELECT 1 FROM submissions GROUP BY assignment_id, author_id "
                             "HAVING count(*) > 1) AS d",
    # Version numbers 1..n with no gap, except numbers that went to a file check the tool refused.
    "version_gaps": """
        WITH numbers AS (SELECT submission_id, number FROM submission_versions {refused})
        SELECT count(*) FROM (SELECT submission_id FROM numbers GROUP BY submission_id
                              HAVING max(number) <> count(DISTINCT number) OR count(*) <> count(DISTINCT number)) AS g""",
    "duplicate_reviews": "SELECT count(*) FROM (SELECT 1 FROM reviews GROUP BY submission_id, reviewer_id, kind "
                         "HAVING count(*) > 1) AS d",
    "own_work_reviewed": "SELECT count(*) FROM reviews r JOIN submissions s ON s.id = r.submission_id "
                         "WHERE r.reviewer_id = s.author_id AND r.kind = 'peer'",
    "reviewers_over_limit": "SELECT count(*) FROM (SELECT 1 FROM reviews r JOIN assignments a ON a.id = r.assignment_id "
                            "WHERE r.kind = 'peer' GROUP BY r.reviewer_id, r.assignment_id, a.reviews_per_student "
                            "HAVING count(*) > a.reviews_per_student) AS o",
}


def check_database(database_url: str, students: int) -> dict[str, object]:
    """Rows the workflow left: counts, and every invariant's violations (all zero when nothing was lost or doubled)."""
    engine = create_engine(database_url)
    try:
        has_checks = inspect(engine).has_table("file_checks")  # a tree from before file checks has none
        with engine.connect() as connection:
            submissions = int(connection.execute(text("SELECT count(*) FROM submissions")).scalar_one())
            refused = ("UNION ALL SELECT submission_id, number FROM file_checks WHERE status = 'refused'"
                       if has_checks else "")
            found: dict[str, object] = {
                "submissions": submissions,
                "versions": connection.execute(text("SELECT count(*) FROM submission_versions")).scalar(),
                "peer_reviews_submitted": connection.execute(text(
                    "SELECT count(*) FROM reviews WHERE kind = 'peer' AND status = 'submitted'")).scalar(),
            }
            violations = {name: connection.execute(text(sql.format(refused=refused))).scalar()
                          for name, sql in CHECKS.items()}
            violations["students_without_submission"] = max(0, students - submissions)
    finally:
        engine.dispose()
    return found | {"violations": violations, "ok": not any(violations.values())}


# ---- the servers -------------------------------------------------------------------------------------------------

def sandbox_from_env():
    """The sandbox LMS for gunicorn, with as many learners as the run has students."""
    return create_sandbox_app(_sandbox_config(os.environ["SANDBOX_BASE_URL"], os.environ["SANDBOX_TOOL_URL"],
                                              Path(os.environ["SANDBOX_INSTANCE"]),
                                              int(os.environ["SANDBOX_EXTRA_LEARNERS"])))


def _sandbox_config(base_url: str, tool_url: str, instance: Path, extra: int) -> SandboxConfig:
    return SandboxConfig(base_url=base_url, tool_base_url=tool_url, instance_path=str(instance), secret_key=SECRET,
                         extra_learners=extra)


def class_of(count: int) -> tuple[list[str], int]:
    """The first `count` learners of the demo course made large enough, and how many learners were added to it."""
    extra = max(0, count - len(DEMO_COURSE.learners))
    return [p.user_id for p in with_extra_learners(DEMO_COURSE, extra).learners][:count], extra


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def inherited_environment() -> dict[str, str]:
    """The caller's environment for the servers, less its Celery broker: tasks run eagerly in the web process unless
    --broker names one (a broker with no worker behind it would hold every file check, and so every PDF hand-in)."""
    return {name: value for name, value in os.environ.items() if name != "CELERY_BROKER_URL"}


@contextmanager
def _process(command: list[str], env: dict[str, str], cwd: Path, log: Path, ready_url: str | None) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=inherited_environment() | env, cwd=cwd, stdout=output,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while ready_url:
            try:
                requests.get(ready_url, timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2:4]} did not start: {log.read_text()[-1500:]}") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _gunicorn(tree: Path, port: int, workers: int, own_config: bool) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--pythonpath", str(tree)]
    if own_config:
        return [*command, "-c", str(tree / "config" / "gunicorn.py"), "lti_tool.wsgi:app"]
    return [*command, "--workers", str(workers), "--worker-class", "sync", "lti_tool.wsgi:app"]


PREPARE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from assessment.db import make_engine, make_session_factory
from lti_tool import migrate
from lti_tool.registry import PlatformSpec, register_platform
migrate.upgrade(sys.argv[2])
engine = make_engine(sys.argv[2])
with make_session_factory(engine)() as session:
    register_platform(session, PlatformSpec(**json.loads(sys.argv[3])))
    session.commit()
engine.dispose()
"""


def measure(tree: Path, server_url: str, students: int, concurrency: int, workers: int, broker: str | None,
            work: Path, label: str) -> dict[str, object]:
    """One run of the workload against the tool's code in `tree`, on a database of its own, dropped afterwards."""
    users, extra = class_of(students)
    own_config = (tree / "config" / "gunicorn.py").exists()
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database(server_url, prefix=f"peerlti_bench_workflow_{label}"))
        ports = {"tool": _free_port(), "sandbox": _free_port()}
        tool_url, sandbox_url = (f"http://127.0.0.1:{ports[name]}" for name in ("tool", "sandbox"))
        instance = work / label
        (instance / "sandbox").mkdir(parents=True)
        shutil.copytree(work / "platform-key", instance / "sandbox", dirs_exist_ok=True)
        record = registration_record(_sandbox_config(sandbox_url, tool_url, Path(), extra))
        subprocess.run([sys.executable, "-c", PREPARE, str(tree), database_url, json.dumps(record)],  # noqa: S603
                       cwd=tree, check=True, env=inherited_environment() | {"PYTHONPATH": str(tree)})
        tool_env = {"PEERLTI_ENV": "development", "PEERLTI_INSTANCE_PATH": str(instance / "tool"),
                    "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TOOL_BASE_URL": tool_url,
                    "RATE_LIMIT_LOGIN": NO_LIMIT, "RATE_LIMIT_LAUNCH": NO_LIMIT, "LIBREOFFICE": "off",
                    "WEB_WORKERS": str(workers), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(tree),
                    # No worker recycling during a run: a gthread worker replaced after its max_requests drops the
                    # keep-alive connections idle in it without an answer, and a request sent on one at that moment
                    # fails with "connection aborted" (the reference's sync workers keep no connection alive).
                    "WEB_MAX_REQUESTS": "0"}
        if broker:
            tool_env["CELERY_BROKER_URL"] = broker
            stack.enter_context(_process([sys.executable, "-m", "celery", "--quiet", "-A", "workers.celery_app",
                                          "worker", "--concurrency", "1", "--loglevel", "WARNING"],
                                         tool_env, tree, work / f"{label}-worker.log", None))
        sandbox_env = {"SANDBOX_BASE_URL": sandbox_url, "SANDBOX_TOOL_URL": tool_url,
                       "SANDBOX_INSTANCE": str(instance / "sandbox"), "SANDBOX_EXTRA_LEARNERS": str(extra)}
        stack.enter_context(_process(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{ports['sandbox']}",
             "--pythonpath", f"{ROOT},{ROOT / 'benchmarks'}", "workflow:sandbox_from_env()"],
            sandbox_env, ROOT, work / f"{label}-sandbox.log", sandbox_url + "/"))
        stack.enter_context(_process(_gunicorn(tree, ports["tool"], workers, own_config), tool_env, tree,
                                     work / f"{label}-tool.log", tool_url + "/"))
        result = run_workload(tool_url, sandbox_url, users, concurrency)
        result.pop("link_id")
        server = (f"gunicorn -c config/gunicorn.py, {workers} workers" if own_config
                  else f"gunicorn, {workers} sync workers (the tree has no config/gunicorn.py)")
        return {"server": server} | result | {"database": check_database(database_url, len(users))}


@contextmanager
def _reference_tree(commit: str, work: Path) -> Iterator[tuple[Path | None, dict[str, object]]]:
    """`commit` checked out beside this tree (run with this tree's virtualenv), with a note on how; None when it cannot
    be checked out."""
    tree = work / "reference-tree"
    added = _git("worktree", "add", "--detach", str(tree), commit)
    if added.returncode != 0:
        yield None, {"commit": commit, "skipped": f"cannot check it out: {added.stderr[-300:]}"}
        return
    try:
        changed = _git("diff", "--quiet", commit, "HEAD", "--", "requirements.lock", "pyproject.toml").returncode != 0
        note = ("run with this tree's virtualenv; its requirements differ from this tree's" if changed
                else "run with this tree's virtualenv (same requirements)")
        yield tree, {"commit": commit, "note": note}
    finally:
        _git("worktree", "remove", "--force", str(tree))


def _guarded(run: Callable[[], dict[str, object]]) -> dict[str, object]:
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - a run that cannot start is reported, not fatal
        return {"skipped": f"{type(error).__name__}: {str(error)[-800:]}"}


def summary(runs: list[dict[str, object]]) -> dict[str, object]:
    """Min, median and max over the rounds of the throughput and of each step's percentiles; the errors summed."""
    done = [run for run in runs if "workflows_per_s" in run]
    if not done:
        return {"rounds": len(runs), "skipped": [run.get("skipped") for run in runs]}

    def spread(values: list[float]) -> dict[str, float]:
        return {"min": min(values), "median": round(statistics.median(values), 2), "max": max(values)}

    steps = {step: {figure: spread([run["steps"][step][figure] for run in done if figure in run["steps"][step]])
                    for figure in ("p50_ms", "p95_ms", "p99_ms")} for step in STEPS}
    return {
        "rounds": len(runs), "workflows_per_s": spread([run["workflows_per_s"] for run in done]),
        "requests_per_s": spread([run["requests_per_s"] for run in done]), "steps": steps,
        "errors": sum(sum(run["errors"].values()) for run in done),
        "database_ok": all(run["database"]["ok"] for run in done),
        "violations": [run["database"]["violations"] for run in done if not run["database"]["ok"]],
        "error_samples": [run["error_samples"] for run in done if run["error_samples"]][:2],
    }


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, check=False, capture_output=True, text=True)  # noqa: S603,S607


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("DATABASE_URL", DEFAULT_SERVER),
                        help="a PostgreSQL server URL; a throwaway database is made on it for each run")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20, help="students in flight at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of the tool")
    parser.add_argument("--broker", help="a Redis URL: file checks go to a real Celery worker instead of eager tasks")
    parser.add_argument("--reference-commit", help="also run the same workload against this commit")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; with a reference, each round runs both, the first to go alternating")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="workflow-bench-") as directory, ExitStack() as stack:
        work = Path(directory)
        (work / "platform-key").mkdir()
        load_or_create_platform_key(work / "platform-key")  # one key for every run's sandbox
        out: dict[str, object] = {"bench": "workflow", "database": "postgresql",
                                  "tasks": f"celery worker on {args.broker}" if args.broker else "eager, in the web process",
                                  "students": args.students, "concurrency": args.concurrency}
        trees: dict[str, Path] = {"current": ROOT}
        if args.reference_commit:
            reference_tree, out["reference_commit"] = stack.enter_context(_reference_tree(args.reference_commit, work))
            if reference_tree is not None:
                trees["reference"] = reference_tree
        runs: dict[str, list[dict[str, object]]] = {label: [] for label in trees}
        for number in range(args.rounds):
            # Interleaved, the order alternating round by round: a machine that grows busier or quieter during the
            # benchmark weighs on both sides alike.
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for label in order:
                name = f"{label}_{number}"
                runs[label].append(_guarded(lambda tree=trees[label], name=name: measure(
                    tree, args.server, args.students, args.concurrency, args.workers, args.broker, work, name)))
        for label, done in runs.items():
            out[label] = summary(done) | {"server": next((run["server"] for run in done if "server" in run), None),
                                          "per_round_workflows_per_s": [run.get("workflows_per_s") for run in done]}
        current, reference = out["current"], out.get("reference")
        if isinstance(reference, dict) and "workflows_per_s" in reference and "workflows_per_s" in current:
            out["throughput_ratio"] = {
                figure: round(current["workflows_per_s"][figure] / reference["workflows_per_s"][figure], 2)
                for figure in ("median", "max")}
        print(json.dumps(out, indent=1), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
