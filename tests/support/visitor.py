"""A person using the tool through the sandbox: launches, pages, and forms posted with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

import requests

from tests.support.lms import RunningLMS, launch_as

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@dataclass
class Visitor:
    lms: RunningLMS
    user_id: str | None = None
    browser: requests.Session = field(default_factory=requests.Session)
    link_id: int | None = None
    _csrf: str | None = None

    def launch(self, user_id: str | None = None, *, locale: str | None = None) -> requests.Response:
        self.user_id = user_id or self.user_id
        response = launch_as(self.lms, self.user_id, self.browser, locale=locale)
        assert response.status_code == 200, response.text[:300]
        self.link_id = int(response.url.rsplit("/", 1)[1])
        self._remember_csrf(response.text)
        return response

    def url(self, path: str) -> str:
        return self.lms.tool.url + path.format(link=self.link_id)

    def get(self, path: str) -> requests.Response:
        response = self.browser.get(self.url(path), timeout=10)
        self._remember_csrf(response.text)
        return response

    def post(self, path: str, data: dict | None = None, files: dict | None = None, *, csrf: bool = True,
             follow: bool = True) -> requests.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token())
        response = self.browser.post(self.url(path), data=form, files=files, timeout=30, allow_redirects=follow)
        self._remember_csrf(response.text)
        return response

    def csrf_token(self) -> str:
        if self._csrf is None:
            self.get("/links/{link}")
        assert self._csrf, "no page offered a CSRF token"
        return self._csrf

    def _remember_csrf(self, html: str) -> None:
        match = CSRF_INPUT.search(html)
        if match:
            self._csrf = unescape(match.group(1) or match.group(2))


def page_text(response: requests.Response) -> str:
    """The page's text without tags, entities decoded: what a person reads."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))


def launched(lms: RunningLMS, users: tuple[str, ...]) -> dict[str, Visitor]:
    """A visitor for each of `users`, each having launched the sandbox link once (so enrolled), by name."""
    visitors = {user: Visitor(lms, user) for user in users}
    for visitor in visitors.values():
        visitor.launch()
    return visitors


def open_new_activity(lms: RunningLMS, students: tuple[str, ...]) -> Visitor:
    """The instructor, having made a new activity at the sandbox link and opened it (it then follows its dates),
    with each of `students` launched once so that they are enrolled."""
    instructor = Visitor(lms, "instructor-1")
    instructor.launch()
    created = instructor.post("/links/{link}/assignment",
                              {"title": "Essay", "points_possible": "50", "timezone": "Europe/Paris"})
    assert created.status_code == 200, page_text(created)[:500]
    opened = instructor.post("/links/{link}/phase", {"phase": ""})
    assert opened.status_code == 200, page_text(opened)[:500]
    for student in students:
        Visitor(lms, student).launch()
    return instructor
