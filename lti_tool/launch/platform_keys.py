"""Platforms' public keys, fetched from their JWKS URLs and cached for a few minutes."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from jwcrypto.jwk import JWK

from assessment.messages import N_
from lti_tool.launch.errors import LaunchRejected

CACHE_SECONDS = 300


class PlatformKeyCache:
    """Finds a platform's signing key by kid; an unknown kid forces one fresh fetch (the platform may have rotated)."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def public_key_pem(self, key_set_url: str, kid: str) -> bytes:
        key = self._find(self._keys(key_set_url, fresh=False), kid) or self._find(
            self._keys(key_set_url, fresh=True), kid
        )
        if key is None:
            raise LaunchRejected(
                N_("The platform's key set has no key with kid %(kid)s; the token was signed by an unknown key.",
                   kid=repr(kid)),
                status=401,
            )
        if key.get("alg", "RS256") != "RS256" or key.get("kty") != "RSA":
            raise LaunchRejected(N_("The platform key %(kid)s is not an RS256 RSA key.", kid=repr(kid)), status=401)
        try:
            return JWK(**key).export_to_pem()
        except (ValueError, TypeError):
            raise LaunchRejected(N_("The platform key %(kid)s could not be read.", kid=repr(kid)), status=401) from None

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    @staticmethod
    def _find(keys: list[dict[str, Any]], kid: str) -> dict[str, Any] | None:
        return next((key for key in keys if key.get("kid") == kid), None)

    def _keys(self, url: str, *, fresh: bool) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(url)
        if cached and not fresh and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        keys = self._fetch(url)
        with self._lock:
            self._cache[url] = (now, keys)
        return keys

    def _fetch(self, url: str) -> list[dict[str, Any]]:
        try:
            response = requests.get(url, timeout=self._timeout)
            response.raise_for_status()
            keys = response.json().get("keys")
        except (requests.RequestException, ValueError, AttributeError) as error:
            raise LaunchRejected(N_(
                "The platform's public keys could not be fetched from %(url)s: %(error)s. Try again shortly.",
                url=url, error=error.__class__.__name__,
            ), status=502) from None
        if not isinstance(keys, list):
            raise LaunchRejected(N_(
                "The platform's public keys could not be fetched from %(url)s: the answer has no key list.", url=url
            ), status=502)
        return [key for key in keys if isinstance(key, dict)]
