"""The outbound address rules: which schemes, hosts and resolved addresses the tool may reach, without a network."""

from __future__ import annotations

import pytest

from lti_tool.outbound import OutboundPolicy, OutboundRefused, OutboundUnreachable, address_refusal

PRODUCTION = OutboundPolicy(allowed_hosts=frozenset(), https_only=True)
DEVELOPMENT = OutboundPolicy(allowed_hosts=frozenset({"localhost", "127.0.0.1", "::1"}), https_only=False)


def resolving_to(*addresses: str):
    def resolver(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolver


def unresolvable(host: str, port: int) -> list[str]:
    raise OSError("Name or service not known")


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),  # noqa: S104
    ("240.0.0.1", "reserved"), ("100.64.0.1", "not publicly routable"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"),
    ("2002:7f00:1::", "loopback"), ("64:ff9b::a00:1", "private"), ("fec0::1", "site-local"),
])
def test_addresses_that_are_not_public_are_refused(address, reason):
    assert reason in (address_refusal(address) or "")


@pytest.mark.parametrize("address", [
    "93.184.215.14", "8.8.8.8", "2606:4700::6810:84e5", "::ffff:93.184.215.14", "2002:5db8:d70e::", "64:ff9b::808:808",
])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


@pytest.mark.parametrize("url", ["http://lms.example.edu/jwks", "ftp://lms.example.edu/", "file:///etc/passwd",
                                 "gopher://lms.example.edu:70/", "https://", "https://[::1/x",
                                 "https://user:secret@lms.example.edu/", "https://lms.example.edu:port/",
                                 "https://" + "a" * 2100 + ".example/"])
def test_production_requests_only_well_formed_https_addresses(url):
    with pytest.raises(OutboundRefused):
        PRODUCTION.host_of(url)


def test_production_accepts_an_https_address_and_names_its_port():
    assert PRODUCTION.host_of("https://LMS.example.edu/jwks") == ("lms.example.edu", 443)
    assert PRODUCTION.host_of("https://lms.example.edu:8443/jwks") == ("lms.example.edu", 8443)


def test_development_also_requests_http():
    assert DEVELOPMENT.host_of("http://localhost:5001/jwks") == ("localhost", 5001)


def test_a_name_resolving_to_a_private_address_is_refused_in_production():
    with pytest.raises(OutboundRefused, match="private"):
        PRODUCTION.addresses("lms.example.edu", 443, resolving_to("10.0.0.7"))


def test_a_name_resolving_to_public_addresses_is_allowed():
    assert PRODUCTION.addresses("lms.example.edu", 443, resolving_to("93.184.215.14")) == ["93.184.215.14"]


def test_one_private_address_among_the_answers_refuses_the_name():
    with pytest.raises(OutboundRefused):
        PRODUCTION.addresses("lms.example.edu", 443, resolving_to("93.184.215.14", "127.0.0.1"))


def test_a_literal_loopback_address_is_refused_without_resolving():
    with pytest.raises(OutboundRefused, match="loopback"):
        PRODUCTION.addresses("127.0.0.1", 80, unresolvable)
    with pytest.raises(OutboundRefused, match="loopback"):
        PRODUCTION.addresses("[::1]", 80, unresolvable)


def test_allowed_hosts_may_be_loopback_or_private():
    assert DEVELOPMENT.addresses("localhost", 5001, resolving_to("127.0.0.1", "::1")) == ["127.0.0.1", "::1"]
    assert DEVELOPMENT.addresses("::1", 5001, unresolvable) == ["::1"]
    intranet = OutboundPolicy(allowed_hosts=frozenset({"moodle.intranet"}))
    assert intranet.addresses("moodle.intranet", 443, resolving_to("10.0.0.7")) == ["10.0.0.7"]


def test_a_host_not_in_the_allowed_list_is_refused_even_in_development():
    with pytest.raises(OutboundRefused):
        DEVELOPMENT.addresses("internal.example", 80, resolving_to("192.168.0.10"))


def test_a_name_that_does_not_resolve_cannot_be_reached():
    with pytest.raises(OutboundUnreachable, match="could not be resolved"):
        PRODUCTION.addresses("nowhere.example", 443, unresolvable)


def test_a_registration_may_name_a_host_this_server_cannot_resolve_yet():
    PRODUCTION.check_registered("https://lms.example.edu/auth", unresolvable)


@pytest.mark.parametrize("url", ["https://10.0.0.7/auth", "https://[::ffff:127.0.0.1]/auth", "http://lms.example.edu/"])
def test_a_registration_may_not_name_a_private_address_or_plain_http_in_production(url):
    with pytest.raises(OutboundRefused):
        PRODUCTION.check_registered(url, unresolvable)


def test_a_registration_naming_a_host_that_resolves_privately_is_refused():
    with pytest.raises(OutboundRefused):
        PRODUCTION.check_registered("https://lms.example.edu/auth", resolving_to("172.20.0.3"))
