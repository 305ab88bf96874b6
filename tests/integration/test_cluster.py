"""Two instances of the tool behind a round-robin balancer, two Celery workers and one beat, on PostgreSQL, Redis
and an S3 server: a person's launch, session and forms go on from one instance to the other, a file one stored
the other serves, released grades reach the gradebook through the workers, and killing an instance loses nothing."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from assessment.models import FileCheck, FileCheckStatus, GradePosting, PostingStatus, ResourceLink, SubmissionVersion
from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from tests.conftest import TEST_SECRET
from tests.support.documents import pdf_naming_its_author
from tests.support.faults import sandbox_scores
from tests.support.gunicorn import Gunicorn, listening_socket, start_gunicorn
from tests.support.live import LiveServer
from tests.support.lms import auto_post_form, register_sandbox
from tests.support.processes import stop_process
from tests.support.round_robin import RoundRobinProxy
from tests.support.rows import see_committed
from tests.support.services import service_missing, uses_postgres
from tests.support.visitor import Visitor, page_text
from tests.support.workers import start_beat, start_named_worker
from tests.web.conftest import LEVELS, RANGE, review_everything

pytestmark = pytest.mark.slow
STUDENTS = ("student-1", "student-2", "student-3", "student-4")


@dataclass
class Cluster:
    """What Visitor and sandbox_scores need of a running LMS: the tool's URL (the balancer's) and the sandbox."""

    tool: RoundRobinProxy
    sandbox: LiveServer
    sandbox_config: SandboxConfig
    instances: list[Gunicorn]
    processes: list = field(default_factory=list)

    def kill(self, index: int) -> None:
        """SIGKILL the instance's master and its workers at once, as a crashed machine would stop, and wait until its
        port refuses connections."""
        master = self.instances[index].process
        for pid in [*_children(master.pid), master.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        master.wait()
        host, port = self.tool.backends[index]
        _wait_for(lambda: not _accepts(host, port), "the killed instance to stop accepting connections")


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _wait_for(condition: Callable[[], object], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def cluster(session, tmp_path, database_url, sandbox_instance, broker, s3_server, s3_bucket) -> Iterator[Cluster]:
    if not uses_postgres():
        service_missing("the cluster test needs PostgreSQL (DATABASE_URL=postgresql://...)")
    listeners = [listening_socket(), listening_socket()]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{listener.getsockname()[1]}" for listener in listeners]).start()
    sandbox = LiveServer("localhost")
    config = SandboxConfig(base_url=sandbox.url, tool_base_url=proxy.url, instance_path=str(sandbox_instance))
    register_sandbox(session, config)
    sandbox.start(create_sandbox_app(config))
    common = {
        "PEERLTI_ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "TOOL_BASE_URL": proxy.url,
        "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker, "LIBREOFFICE": "off",
        "PASSBACK_BACKOFF_SECONDS": "1", **s3_server.env(s3_bucket),
    }
    cluster = Cluster(tool=proxy, sandbox=sandbox, sandbox_config=config, instances=[])
    try:
        for index, listener in enumerate(listeners):
            # Each instance on a machine of its own: its own instance directory, nothing shared but the services.
            cluster.instances.append(start_gunicorn(common | {
                "PEERLTI_INSTANCE_PATH": str(tmp_path / f"web-{index}"), "WEB_WORKERS": "1", "WEB_THREADS": "4",
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics-{index}"),
            }, tmp_path / f"web-{index}.log", listener))
        for index in range(2):
            cluster.processes.append(start_named_worker(
                common | {"PEERLTI_INSTANCE_PATH": str(tmp_path / f"worker-{index}")}, tmp_path / f"worker-{index}.log",
                f"worker{index}"))
        cluster.processes.append(start_beat(common | {"PEERLTI_INSTANCE_PATH": str(tmp_path / "beat")},
                                            tmp_path / "beat.log", tmp_path / "beat-schedule"))
        for instance in cluster.instances:
            instance.wait_until_serving(timeout=240)  # seven processes start at once on a small machine
        yield cluster
    finally:
        for process in cluster.processes:
            stop_process(process)
        for instance in cluster.instances:
            instance.stop()
        proxy.stop()
        sandbox.stop()


def _served_by_both(proxy: RoundRobinProxy, since: int, method: str, path: str) -> set[int]:
    return {backend for backend, seen_method, seen_path, _ in proxy.log[since:]
            if seen_method == method and seen_path.startswith(path)}


def _cookieless_launch(cluster: Cluster, user: str) -> tuple[requests.Session, str]:
    """A launch by a browser that refuses every cookie: the LMS's storage keeps the login, the tab's session rides
    a signed token on its links. The tool's home page of the tab, as a path."""
    browser = requests.Session()
    browser.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    login = browser.get(f"{cluster.sandbox.url}/launch/{user}?storage=on", timeout=30)
    element = re.search(r'<section[^>]*id="platform-storage"[^>]*>', login.text, re.S)
    assert element, page_text(login)[:300]
    data = {name: unescape(value) for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', element.group(0))}
    _, fields = auto_post_form(browser.get(data["next"], timeout=30).text)
    landing = browser.post(f"{cluster.tool.url}/lti/launch/platform-storage", allow_redirects=False, timeout=30,
                           data=fields | {"platform_state": data["state-value"], "platform_nonce": data["nonce-value"]},
                           headers={"Origin": cluster.tool.url})
    assert landing.status_code == 303 and "_t=" in landing.headers["Location"], page_text(landing)[:300]
    return browser, landing.headers["Location"]


def test_two_instances_behind_a_balancer_share_sessions_files_and_grades_and_one_dying_loses_nothing(
        cluster, session, s3_server, s3_bucket):
    proxy = cluster.tool
    # A launch is a login (GET), the platform's form post and the landing page: round robin spreads them over both.
    instructor = Visitor(cluster, "instructor-1")  # type: ignore[arg-type]  # a Cluster has what Visitor uses
    instructor.launch()
    assert _served_by_both(proxy, 0, "GET", "/lti/login") | _served_by_both(proxy, 0, "POST", "/lti/launch") == {0, 1}
    mark = len(proxy.log)
    # Forms posted with a CSRF token one instance put in its page, checked by the other.
    created = instructor.post("/links/{link}/assignment",
                              {"title": "Essay", "points_possible": "50", "timezone": "Europe/Paris"})
    assert created.status_code == 200 and "Settings of" in created.text, page_text(created)[:500]
    assert "The activity is open" in instructor.post("/links/{link}/phase", {"phase": ""}).text
    for criterion in (LEVELS, RANGE):
        assert instructor.post("/links/{link}/rubric/criteria", criterion).status_code == 200
    # Each form was posted to the other instance than the one whose page held its token (a POST's redirect is then
    # followed on the first again).
    posts = [index for index in range(mark, len(proxy.log)) if proxy.log[index][1] == "POST"]
    assert len(posts) == 4 and all(proxy.log[index - 1][0] != proxy.log[index][0] for index in posts)

    # A tab without cookies: its server-side session, written by one instance, is read by the other.
    browser, home_path = _cookieless_launch(cluster, "student-4")
    mark = len(proxy.log)
    pages = [browser.get(cluster.tool.url + home_path, timeout=30) for _ in range(2)]
    # Each page found the tab's session: its links carry the tab's token on, as only a page with a session does.
    assert all(page.status_code == 200 and re.search(r'href="/links/\d+/me\?_t=', page.text) for page in pages), \
        page_text(pages[0])[:300]
    assert {backend for backend, _, _, _ in proxy.log[mark:]} == {0, 1}

    students = {}
    for user in STUDENTS[:2]:
        students[user] = Visitor(cluster, user)  # type: ignore[arg-type]
        students[user].launch()
        handed_in = students[user].post("/links/{link}/submission", {"text": "An essay about peer review."},
                                        files={"file": (f"{user}.pdf", pdf_naming_its_author(f"Author {user}"))})
        assert handed_in.status_code == 200, page_text(handed_in)[:500]

    # The workers check the files (fetched from the bucket); each version is then read through both instances.
    _wait_for(lambda: _checks_ready(session, 2), "the workers to check two files")
    version = see_committed(session).scalars(select(SubmissionVersion).where(SubmissionVersion.file_key.is_not(None))
                                             .order_by(SubmissionVersion.id)).first()
    mark = len(proxy.log)
    downloads = [students["student-1"].get(f"/links/{{link}}/files/{version.id}") for _ in range(2)]
    assert {backend for backend, _, _, _ in proxy.log[mark:]} == {0, 1}
    stored = s3_server.objects(s3_bucket)[f"uploads/{version.file_key}"]
    assert [download.content for download in downloads] == [stored, stored]

    # One instance dies in the middle of the class's work: the balancer sends everything to the other.
    cluster.kill(0)
    mark = len(proxy.log)
    for user in STUDENTS[2:]:
        students[user] = Visitor(cluster, user)  # type: ignore[arg-type]
        students[user].launch()
        handed_in = students[user].post("/links/{link}/submission", {"text": "An essay about peer review."},
                                        files={"file": (f"{user}.pdf", pdf_naming_its_author(f"Author {user}"))})
        assert handed_in.status_code == 200, page_text(handed_in)[:500]
    # Sessions begun on the dead instance go on on the living one; the file it stored is still served.
    assert students["student-1"].get(f"/links/{{link}}/files/{version.id}").content == stored
    assert {backend for backend, _, _, _ in proxy.log[mark:]} == {1}
    assert all(status < 500 for _, _, _, status in proxy.log), [entry for entry in proxy.log if entry[3] >= 500]
    _wait_for(lambda: _checks_ready(session, 4), "the workers to check four files")

    # Grades released on the living instance reach the gradebook through the workers, once each.
    assert instructor.post("/links/{link}/phase", {"phase": "review"}).status_code == 200
    review_everything(students, session)
    assert instructor.post("/links/{link}/grades/run", {"method": "mean"}).status_code == 200
    released = instructor.post("/links/{link}/grades/release", {})
    assert "4 grades released" in page_text(released), page_text(released)[:500]
    _wait_for(lambda: _postings(session) == {PostingStatus.POSTED: 4}, "the workers to post four grades")
    link = see_committed(session).scalars(select(ResourceLink)).one()
    gradebook = sandbox_scores(cluster, link.ags_claim["lineitem"])  # type: ignore[arg-type]
    assert sorted(gradebook) == list(STUDENTS) and all(len(scores) == 1 for scores in gradebook.values())


def _checks_ready(session, count: int) -> bool:
    checks = see_committed(session).scalars(select(FileCheck)).all()
    assert not [check for check in checks if check.status is FileCheckStatus.REFUSED], "a check was refused"
    return sum(check.status is FileCheckStatus.READY for check in checks) == count


def _postings(session) -> dict[PostingStatus, int]:
    counts: dict[PostingStatus, int] = {}
    for posting in see_committed(session).scalars(select(GradePosting)):
        counts[posting.status] = counts.get(posting.status, 0) + 1
    return counts
