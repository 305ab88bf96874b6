"""Which origins may frame the tool: written as CSP origins, never a wildcard for everyone."""

from __future__ import annotations

import pytest

from lti_tool.framing import FrameAncestorsCache, frame_ancestors, framing_origin
from lti_tool.registry import Platform


@pytest.mark.parametrize(("value", "origin"), [
    ("https://LMS.example.edu/", "https://lms.example.edu"),
    ("https://lms.example.edu:443", "https://lms.example.edu"),
    ("http://localhost:5001", "http://localhost:5001"),
    ("https://*.instructure.com", "https://*.instructure.com"),
])
def test_an_origin_is_written_as_csp_writes_it(value, origin):
    assert framing_origin(value) == origin


@pytest.mark.parametrize("value", [
    "*", "https://*", "https:", "lms.example.edu", "https://lms.example.edu/path", "https://a.example b.example",
    "https://a.example;script-src", "javascript:alert(1)", "'self'", "https://user@lms.example.edu",
])
def test_anything_but_an_origin_is_refused(value):
    assert framing_origin(value) is None


def test_a_platform_whose_issuer_is_no_url_still_lets_its_login_host_frame():
    platform = Platform(issuer="urn:lms:1", auth_login_url="https://lms.example.edu/auth", framing_origins=[])

    assert frame_ancestors([platform]) == "'self' https://lms.example.edu"


def test_without_platforms_only_the_tool_frames_itself():
    assert frame_ancestors([]) == "'self'"


def test_the_cache_computes_once_within_its_time():
    calls = []
    cache = FrameAncestorsCache(lambda: calls.append(1) or "'self'", seconds=60)

    cache.get(), cache.get()
    cache.forget()
    cache.get()

    assert len(calls) == 2
