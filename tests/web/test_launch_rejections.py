"""Every known-bad launch (1EdTech certification payloads and the security framework) gets a 4xx
page naming the problem, and writes no row."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.launch.state import StateSigner
from tests.conftest import TEST_SECRET
from tests.support.rows import row_counts
from tests.support.tokens import CLAIM, genuine_launch, sign_token

Claims = dict[str, Any]
Header = dict[str, Any]


def _other_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _without(name: str) -> Callable[[Claims, Header], None]:
    def change(claims: Claims, header: Header) -> None:
        claims.pop(name, None)
    return change


def _set(name: str, value: Any) -> Callable[[Claims, Header], None]:
    def change(claims: Claims, header: Header) -> None:
        claims[name] = value(claims) if callable(value) else value
    return change


def _both(*changes: Callable[[Claims, Header], None]) -> Callable[[Claims, Header], None]:
    def change(claims: Claims, header: Header) -> None:
        for one in changes:
            one(claims, header)
    return change


def _header(name: str, value: Any) -> Callable[[Claims, Header], None]:
    def change(claims: Claims, header: Header) -> None:
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    return change


# (case, change to the genuine token, expected status, words the page must contain)
TOKEN_CASES = [
    ("no kid", _header("kid", None), 400, "has no kid"),
    ("wrong kid", _header("kid", "no-such-key"), 401, "no key with kid"),
    ("wrong LTI version", _set(CLAIM + "version", "1.2.0"), 400, "LTI version '1.2.0'"),
    ("no LTI version", _without(CLAIM + "version"), 400, "no LTI version claim"),
    ("missing aud", _without("aud"), 400, "missing the 'aud' claim"),
    ("missing iss", _without("iss"), 400, "missing the 'iss' claim"),
    ("missing sub", _without("sub"), 400, "missing the 'sub' claim"),
    ("missing deployment_id", _without(CLAIM + "deployment_id"), 400, "no deployment_id claim"),
    ("missing roles", _without(CLAIM + "roles"), 400, "no roles claim"),
    ("missing message_type", _without(CLAIM + "message_type"), 400, "no message_type claim"),
    ("missing resource_link", _without(CLAIM + "resource_link"), 400, "no resource_link id"),
    ("iat far in the future", _set("iat", lambda c: int(time.time()) + 3600), 401, "issued in the future"),
    ("expired", _set("exp", lambda c: int(time.time()) - 3600), 401, "has expired"),
    ("missing exp", _without("exp"), 400, "missing the 'exp' claim"),
    ("wrong aud", _both(_set("aud", "another-tool"), _without("azp")), 403, "client id 'another-tool'"),
    ("several aud without azp", _both(_set("aud", lambda c: [c["aud"], "another-tool"]), _without("azp")), 400,
     "no azp claim"),
    ("azp not among aud", _set("azp", "another-tool"), 400, "azp is not one of its audiences"),
    ("unknown issuer", _set("iss", "https://unknown-lms.example.edu"), 403, "no registration for issuer"),
    ("unknown deployment", _set(CLAIM + "deployment_id", "not-registered"), 403, "not registered for this platform"),
    ("nonce of another login", _set("nonce", "forged-nonce"), 400, "nonce was not issued by this login"),
    ("unknown message type", _set(CLAIM + "message_type", "LtiStartProctoring"), 400, "does not handle"),
    ("submission review naming no student", _set(CLAIM + "message_type", "LtiSubmissionReviewRequest"), 400,
     "no for_user user_id claim"),
    # Identifiers the LMS keys its people, links and courses by: text of at most 255 characters (LTI 1.3 core),
    # never control characters (PostgreSQL cannot store a NUL) and never a number or an object.
    ("sub holding a NUL", _set("sub", "student\x00-1"), 400, "'sub' claim must be text"),
    ("sub of 256 characters", _set("sub", "s" * 256), 400, "'sub' claim must be text"),
    ("sub as a number", _set("sub", 12345), 400, "'sub' claim must be text"),
    ("deployment_id holding a NUL", _set(CLAIM + "deployment_id", "deployment\x00"), 400,
     "'deployment_id' claim must be text"),
    ("resource_link id holding a NUL", _set(CLAIM + "resource_link", {"id": "link\x00-1"}), 400,
     "'resource_link id' claim must be text"),
    ("resource_link id as an object", _set(CLAIM + "resource_link", {"id": {"x": 1}}), 400,
     "'resource_link id' claim must be text"),
    ("context id holding a NUL", _set(CLAIM + "context", {"id": "course\x00-1", "title": "Course"}), 400,
     "'context id' claim must be text"),
    ("nonce holding a NUL", _set("nonce", "nonce\x00"), 400, "'nonce' claim must be text"),
    ("iss holding a NUL", _set("iss", lambda c: c["iss"] + "\x00"), 400, "'iss' claim must be text"),
    ("aud holding a NUL", _both(_set("aud", lambda c: c["aud"] + "\x00"), _without("azp")), 400,
     "'aud' claim must be text"),
    ("for_user holding a NUL", _both(_set(CLAIM + "message_type", "LtiSubmissionReviewRequest"),
                                     _set(CLAIM + "for_user", {"user_id": "student\x001"})), 400,
     "'for_user user_id' claim must be text"),
    ("submission review with an empty for_user", _both(_set(CLAIM + "message_type", "LtiSubmissionReviewRequest"),
                                                        _set(CLAIM + "for_user", {"user_id": ""})), 400,
     "no for_user user_id claim"),
    ("submission review without a resource link", _both(_set(CLAIM + "message_type", "LtiSubmissionReviewRequest"),
                                                         _set(CLAIM + "for_user", {"user_id": "student-1"}),
                                                         _without(CLAIM + "resource_link")), 400,
     "no resource_link id"),
    ("submission review without its line item", _both(
        _set(CLAIM + "message_type", "LtiSubmissionReviewRequest"), _set(CLAIM + "for_user", {"user_id": "student-1"}),
        _without("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint")), 400, "Grade services must be included"),
]


def _assert_refused(response: requests.Response, status: int, words: str, before: dict, session) -> None:
    assert response.status_code == status, response.text[:500]
    assert "could not start this launch" in response.text
    assert words in response.text.replace("&#39;", "'")
    assert row_counts(session) == before


@pytest.mark.parametrize(("case", "change", "status", "words"), TOKEN_CASES, ids=[c[0] for c in TOKEN_CASES])
def test_a_bad_id_token_is_refused_with_a_page_naming_the_problem(lms, session, case, change, status, words):
    pending, claims, header = genuine_launch(lms)
    change(claims, header)
    before = row_counts(session)

    response = pending.post(id_token=sign_token(lms, claims, header))

    _assert_refused(response, status, words, before, session)


def test_a_token_that_is_not_a_jwt_is_refused(lms, session):
    pending, _, _ = genuine_launch(lms)
    before = row_counts(session)

    _assert_refused(pending.post(id_token="this-is-not-a-jwt"), 400, "not a valid JWT", before, session)


def test_an_unsigned_alg_none_token_is_refused(lms, session):
    pending, claims, header = genuine_launch(lms)
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})
    before = row_counts(session)

    _assert_refused(pending.post(id_token=unsigned), 400, "must be signed with RS256", before, session)


def test_an_hs256_token_signed_with_the_public_key_is_refused(lms, session):
    pending, claims, header = genuine_launch(lms)
    # Algorithm confusion: an HMAC token hoping to be checked with the platform's public key as secret.
    token = jwt.encode(claims, "s" * 64, algorithm="HS256", headers={"kid": header["kid"]})
    before = row_counts(session)

    _assert_refused(pending.post(id_token=token), 400, "must be signed with RS256", before, session)


def test_a_token_signed_by_another_key_under_the_platform_kid_is_refused(lms, session):
    pending, claims, header = genuine_launch(lms)
    before = row_counts(session)

    response = pending.post(id_token=sign_token(lms, claims, header, key=_other_private_key()))

    _assert_refused(response, 401, "signature does not verify", before, session)


@pytest.mark.parametrize(("claim", "status", "words"), [("context", 401, "signature does not verify"),
                                                         ("resource_link", 400, "no resource_link id")])
def test_a_forged_token_whose_claim_is_not_an_object_is_refused_naming_the_problem(lms, session, claim, status,
                                                                                   words):
    # The launch reads what a token names before it checks the signature: a forgery's odd claims must not break that.
    pending, claims, header = genuine_launch(lms)
    claims[CLAIM + claim] = "not an object"
    before = row_counts(session)

    response = pending.post(id_token=sign_token(lms, claims, header, key=_other_private_key()))

    _assert_refused(response, status, words, before, session)


def test_an_iat_slightly_in_the_future_is_accepted_within_the_clock_leeway(lms, session):
    pending, claims, header = genuine_launch(lms)
    claims["iat"] = int(time.time()) + 30

    response = pending.post(id_token=sign_token(lms, claims, header))

    assert response.status_code == 200
    assert "Not set up yet" in response.text


def test_several_audiences_with_azp_naming_this_tool_are_accepted(lms, session):
    pending, claims, header = genuine_launch(lms)
    claims["aud"], claims["azp"] = [claims["aud"], "another-tool"], claims["aud"]

    assert pending.post(id_token=sign_token(lms, claims, header)).status_code == 200


def test_a_state_from_another_browser_is_a_state_mismatch(lms, session):
    mine, _, _ = genuine_launch(lms)
    theirs, _, _ = genuine_launch(lms, "student-2")
    before = row_counts(session)

    response = mine.post(state=theirs.fields["state"], id_token=theirs.fields["id_token"])

    _assert_refused(response, 400, "state mismatch", before, session)


def test_a_state_not_signed_by_the_tool_is_refused(lms, session):
    pending, _, _ = genuine_launch(lms)
    forged, _ = StateSigner("another-secret-" + TEST_SECRET).issue({})
    before = row_counts(session)

    _assert_refused(pending.post(state=forged), 400, "not issued by this tool", before, session)


def test_a_missing_state_is_refused(lms, session):
    pending, _, _ = genuine_launch(lms)
    before = row_counts(session)

    _assert_refused(pending.post(state=""), 400, "no state parameter", before, session)


def test_a_launch_whose_cookies_were_lost_offers_a_new_window(lms, session):
    pending, _, _ = genuine_launch(lms)
    pending.browser.cookies.clear()
    before = row_counts(session)

    response = pending.post()

    _assert_refused(response, 401, "blocks cookies inside embedded pages", before, session)
    assert "Open peerlti in a new window" in response.text
    assert f'href="{lms.tool.url}/lti/login?iss=' in response.text


def test_a_launch_without_an_id_token_is_refused(lms, session):
    pending, _, _ = genuine_launch(lms)
    before = row_counts(session)

    _assert_refused(pending.post(id_token=""), 400, "no id_token", before, session)
