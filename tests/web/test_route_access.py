"""Every page, for every kind of visitor: who may open it and who is refused."""

from __future__ import annotations

import pytest
import requests

from tests.support.lms import launch_as
from tests.support.tokens import CLAIM, genuine_launch, sign_token

PAGES = ("/links/{link}", "/links/{link}/me", "/links/{link}/people")
# visitor -> expected status per page, in the order of PAGES
EXPECTED = {
    "anonymous": (403, 403, 403),
    "student": (200, 200, 403),
    "instructor": (200, 200, 200),
    "teaching assistant": (200, 200, 200),
    "student of another course": (403, 403, 403),
}


def _browser_of(lms, visitor: str) -> requests.Session:
    browser = requests.Session()
    if visitor == "anonymous":
        return browser
    if visitor == "student of another course":
        pending, claims, header = genuine_launch(lms, "student-5")
        claims[CLAIM + "context"]["id"] = "another-course"
        claims[CLAIM + "resource_link"]["id"] = "another-link"
        assert pending.post(id_token=sign_token(lms, claims, header)).status_code == 200
        return pending.browser
    user = {"student": "student-1", "instructor": "instructor-1", "teaching assistant": "ta-1"}[visitor]
    launch_as(lms, user, browser)
    return browser


@pytest.mark.parametrize("visitor", EXPECTED)
def test_each_page_admits_exactly_the_visitors_it_should(lms, visitor):
    link = int(launch_as(lms, "instructor-1").url.rsplit("/", 1)[1])
    browser = _browser_of(lms, visitor)

    statuses = tuple(browser.get(lms.tool.url + page.format(link=link), timeout=10).status_code for page in PAGES)

    assert statuses == EXPECTED[visitor]


def test_an_unknown_resource_link_is_refused_rather_than_revealed(lms):
    browser = requests.Session()
    launch_as(lms, "instructor-1", browser)

    assert browser.get(f"{lms.tool.url}/links/999999", timeout=10).status_code == 403
