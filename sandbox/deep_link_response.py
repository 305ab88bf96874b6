"""Checks of a tool's LtiDeepLinkingResponse JWT, and the resource links it asks the course to add."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from lti1p3platform.exceptions import LtiException

from sandbox.ags_payloads import InvalidPayload, line_item_fields
from sandbox.course import Course
from sandbox.platform import CLOCK_LEEWAY_SECONDS
from sandbox.tool_keys import ToolKeySet

LTI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
MESSAGE_TYPE = "LtiDeepLinkingResponse"
LTI_VERSION = "1.3.0"
RESOURCE_LINK_TYPE = "ltiResourceLink"
UNTITLED = "Untitled activity"
# The deep linking spec requires a nonce in the response, beside the usual JWT claims.
REQUIRED_CLAIMS = ["iss", "aud", "iat", "exp", "nonce"]


class InvalidDeepLinkResponse(ValueError):
    """The response cannot be accepted; the message says exactly why, for the tool's developer."""


@dataclass(frozen=True)
class ExpectedResponse:
    """Who must have signed the response, for whom, and where the links it returns may point."""

    platform_issuer: str
    client_id: str
    deployment_id: str
    tool_base_url: str


@dataclass(frozen=True)
class ContentLink:
    """An ltiResourceLink content item, checked: the link to add and the line item to create with it."""

    title: str
    url: str | None
    custom: dict[str, str]
    line_item: dict[str, Any] | None


@dataclass(frozen=True)
class DeepLinkResponse:
    data: str
    links: tuple[ContentLink, ...]
    msg: str | None
    errormsg: str | None
    log: str | None
    errorlog: str | None


def read_deep_link_response(
    token: str, tool_keys: ToolKeySet, expected: ExpectedResponse, course: Course
) -> DeepLinkResponse:
    """The response, once every check passed; raises InvalidDeepLinkResponse at the first that fails.

    The data claim is only read here: whether it answers an open request is for the caller to settle.
    """
    claims = _verified_claims(token, tool_keys, expected)
    _check_message_claims(claims, expected)
    data = claims.get(DL_CLAIM + "data")
    if not isinstance(data, str) or not data:
        raise InvalidDeepLinkResponse("The data claim is missing: it must echo deep_linking_settings.data of the request.")
    items = claims.get(DL_CLAIM + "content_items", [])
    if not isinstance(items, list):
        raise InvalidDeepLinkResponse("content_items must be a JSON array.")
    if len(items) > 1:
        raise InvalidDeepLinkResponse(
            f"The request said accept_multiple false, but the response has {len(items)} content items."
        )
    links = tuple(_content_link(number, item, expected, course) for number, item in enumerate(items, start=1))
    messages = {name: _optional_text(claims, name) for name in ("msg", "errormsg", "log", "errorlog")}
    return DeepLinkResponse(data=data, links=links, **messages)


def _verified_claims(token: str, tool_keys: ToolKeySet, expected: ExpectedResponse) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidDeepLinkResponse(f"The JWT field is not a signed JSON Web Token: {error}.") from None
    if header.get("alg") != "RS256":
        raise InvalidDeepLinkResponse(f"The JWT must be signed with RS256, not {header.get('alg')!r}.")
    kid = header.get("kid")
    if not kid:
        raise InvalidDeepLinkResponse("The JWT's header has no kid, so no key of the tool's JWKS can check it.")
    try:
        public_key = jwt.PyJWK(tool_keys.key_for(kid), algorithm="RS256").key
    except LtiException as error:
        raise InvalidDeepLinkResponse(f"No key of the tool can check the JWT: {error}.") from None
    except jwt.PyJWTError as error:
        raise InvalidDeepLinkResponse(f"The tool's key {kid!r} cannot check signatures: {error}.") from None
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=expected.platform_issuer,
            issuer=expected.client_id,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as error:
        raise InvalidDeepLinkResponse(_decoding_problem(error, kid, expected)) from None
    audience = claims["aud"]
    if isinstance(audience, list) and set(audience) != {expected.platform_issuer}:
        raise InvalidDeepLinkResponse(f"aud must name only this platform, {expected.platform_issuer}.")
    # PyJWT takes any value int() accepts, "1700000000" included.
    if not all(isinstance(claims[name], int | float) and not isinstance(claims[name], bool) for name in ("iat", "exp")):
        raise InvalidDeepLinkResponse("iat and exp must be numbers of seconds since the epoch.")
    if claims["exp"] <= claims["iat"]:
        raise InvalidDeepLinkResponse("exp must be later than iat.")
    return claims


def _decoding_problem(error: jwt.PyJWTError, kid: str, expected: ExpectedResponse) -> str:
    if isinstance(error, jwt.InvalidSignatureError):
        return f"Bad signature: the JWT does not verify against the key {kid!r} of the tool's JWKS."
    if isinstance(error, jwt.ExpiredSignatureError):
        return "The JWT has expired: its exp is in the past."
    if isinstance(error, jwt.ImmatureSignatureError):
        return "The JWT is not valid yet: its iat (or nbf) is in the future."
    if isinstance(error, jwt.InvalidAudienceError):
        return f"aud must be this platform's issuer, {expected.platform_issuer}."
    if isinstance(error, jwt.InvalidIssuerError):
        return f"iss must be the tool's client_id, {expected.client_id!r}."
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"The {error.claim} claim is missing."
    return f"The JWT was refused: {error}."


def _check_message_claims(claims: dict[str, Any], expected: ExpectedResponse) -> None:
    message_type = claims.get(LTI_CLAIM + "message_type")
    if message_type != MESSAGE_TYPE:
        raise InvalidDeepLinkResponse(f"message_type must be {MESSAGE_TYPE}, not {message_type!r}.")
    version = claims.get(LTI_CLAIM + "version")
    if version != LTI_VERSION:
        raise InvalidDeepLinkResponse(f"version must be {LTI_VERSION}, not {version!r}.")
    deployment_id = claims.get(LTI_CLAIM + "deployment_id")
    if deployment_id != expected.deployment_id:
        raise InvalidDeepLinkResponse(
            f"deployment_id must be {expected.deployment_id!r}, the request's deployment, not {deployment_id!r}."
        )


def _content_link(number: int, item: Any, expected: ExpectedResponse, course: Course) -> ContentLink:
    name = f"content item {number}"
    if not isinstance(item, dict):
        raise InvalidDeepLinkResponse(f"The {name} is not a JSON object.")
    if item.get("type") != RESOURCE_LINK_TYPE:
        raise InvalidDeepLinkResponse(
            f"The {name} has type {item.get('type')!r}; the request accepted only {RESOURCE_LINK_TYPE}."
        )
    title = item.get("title")
    if title is not None and not isinstance(title, str):
        raise InvalidDeepLinkResponse(f"The {name}'s title must be a string.")
    title = (title or "").strip() or UNTITLED
    return ContentLink(
        title=title,
        url=_link_url(name, item.get("url"), expected),
        custom=_custom(name, item.get("custom")),
        line_item=_line_item(name, item.get("lineItem"), title, course),
    )


def _link_url(name: str, url: Any, expected: ExpectedResponse) -> str | None:
    if url is None:
        return None
    if not isinstance(url, str):
        raise InvalidDeepLinkResponse(f"The {name}'s url must be a string.")
    tool = urlsplit(expected.tool_base_url)
    target = urlsplit(url)
    # Launches of the link go there with the user's identity: only to the tool that was asked.
    if (target.scheme, target.netloc) != (tool.scheme, tool.netloc):
        raise InvalidDeepLinkResponse(f"The {name}'s url {url!r} is not on the tool, {expected.tool_base_url}.")
    return url


def _custom(name: str, custom: Any) -> dict[str, str]:
    if custom is None:
        return {}
    # LTI 1.3 custom parameters are strings; a number here would arrive differently at each platform.
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        raise InvalidDeepLinkResponse(f"The {name}'s custom must be a JSON object whose values are strings.")
    return dict(custom)


def _line_item(name: str, line_item: Any, title: str, course: Course) -> dict[str, Any] | None:
    if line_item is None:
        return None
    if not isinstance(line_item, dict):
        raise InvalidDeepLinkResponse(f"The {name}'s lineItem must be a JSON object.")
    # The new link is the line item's resource link; the tool cannot know its id yet. The label defaults
    # to the item's title, as the deep linking spec says.
    fields = {key: value for key, value in line_item.items() if key != "resourceLinkId"}
    fields["label"] = fields.get("label") or title
    try:
        return line_item_fields(fields, course)
    except InvalidPayload as error:
        raise InvalidDeepLinkResponse(f"The {name}'s lineItem: {error}") from None


def _optional_text(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(DL_CLAIM + name)
    return value if isinstance(value, str) and value else None
