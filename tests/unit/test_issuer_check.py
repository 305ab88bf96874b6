"""Dynamic Registration's issuer check: a configuration speaks for an issuer only at or below its exact address."""

from __future__ import annotations

import pytest

from lti_tool.installation.dynamic import issuer_matches

ISSUER = "https://uni.example/moodle"


@pytest.mark.parametrize("url", [
    "https://uni.example/moodle/mod/lti/openid-configuration.php",
    "https://uni.example/moodle/",
    "https://UNI.example/moodle/openid-configuration",
    "https://uni.example:443/moodle/openid-configuration",
])
def test_a_configuration_at_or_below_the_issuers_path_matches(url):
    assert issuer_matches(ISSUER, url)


def test_an_issuer_at_the_hosts_root_matches_every_path_of_that_host():
    assert issuer_matches("https://canvas.example.edu", "https://canvas.example.edu/api/lti/security/openid-configuration")
    assert issuer_matches("https://canvas.example.edu/", "https://canvas.example.edu/api/openid-configuration")


@pytest.mark.parametrize("url", [
    "https://uni.example/moodle-sandbox/openid-configuration",   # a sibling path that starts with the same letters
    "https://uni.example/moodle/../other/openid-configuration",  # a dot segment climbing out
    "https://uni.example/moodle/./openid-configuration",
    "https://uni.example/moodle%2f..%2fother/openid-configuration",  # encoded slashes
    "https://uni.example/moodle/%2e%2e/other/openid-configuration",  # encoded dots
    "https://uni.example/moodle/..%5cother/openid-configuration",  # an encoded backslash
    "https://uni.example/moodle\\..\\other/openid-configuration",
    "http://uni.example/moodle/openid-configuration",             # another scheme
    "https://uni.example:8443/moodle/openid-configuration",       # another port
    "https://uni.example.evil.test/moodle/openid-configuration",  # another host
    "https://evil.test@uni.example/moodle/openid-configuration",  # a user name before the host
    "https://uni.example/openid-configuration",                   # above the issuer's path
])
def test_a_configuration_elsewhere_does_not_match(url):
    assert not issuer_matches(ISSUER, url)


@pytest.mark.parametrize("issuer", [
    "https://uni.example/moodle/../admin", "https://uni.example/moodle%2fsandbox", "https://uni.example/moodle?x=1",
    "https://uni.example/moodle#top", "uni.example/moodle", "https://uni.example:99999/moodle",
])
def test_an_issuer_that_is_not_a_plain_address_matches_nothing(issuer):
    assert not issuer_matches(issuer, "https://uni.example/moodle/openid-configuration")
