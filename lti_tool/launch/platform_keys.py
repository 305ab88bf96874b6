"""Platforms' public keys, fetched from their key set URLs through the guarded client and cached per URL."""

from __future__ import annotations

import threading
import time
from typing import Any

from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientError, PyJWKSetError

from assessment.messages import N_
from lti_tool.launch.errors import LaunchRejected
from lti_tool.outbound import OutboundClient, OutboundError

# A key set is read again after this long, whatever the launches say.
LIFESPAN_SECONDS = 300
# An unknown kid (a platform that rotated its key, or a forged token) re-reads the key set at most this often.
COOLDOWN_SECONDS = 60
MAX_KEY_SET_BYTES = 256 * 1024


class _KeySet(PyJWKClient):
    """PyJWT's key set client (cache, lifespan, cooldown, one lock per URL) reading through the guarded client."""

    def __init__(self, url: str, client: OutboundClient, *, lifespan: float, cooldown: float) -> None:
        super().__init__(url, cache_jwk_set=True, lifespan=lifespan, cooldown_duration=cooldown)
        self._client = client
        self.fetches = 0

    def fetch_data(self) -> Any:
        self.fetches += 1
        try:
            response = self._client.get(self.uri, headers={"Accept": "application/json"}, max_bytes=MAX_KEY_SET_BYTES)
        except OutboundError as error:
            raise _unavailable(self.uri, str(error)) from None
        if not response.ok:
            raise _unavailable(self.uri, response.status_line)
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise _unavailable(self.uri, "the answer has no key list")
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(document)
        self._last_successful_fetch = time.monotonic()
        return document


def _unavailable(url: str, reason: str) -> LaunchRejected:
    return LaunchRejected(N_(
        "The platform's public keys could not be fetched from %(url)s: %(error)s. Try again shortly.",
        url=url, error=reason,
    ), status=502)


class PlatformKeyCache:
    """Finds a platform's signing key by kid, one cached key set per URL.

    Only registered platforms' key set URLs reach it (the launch checks the registration first). An unknown kid
    re-reads the key set once, then not again for COOLDOWN_SECONDS, so forged kids cannot hammer a platform."""

    def __init__(self, client: OutboundClient, *, lifespan: float = LIFESPAN_SECONDS,
                 cooldown: float = COOLDOWN_SECONDS) -> None:
        self._client = client
        self._lifespan = lifespan
        self._cooldown = cooldown
        self._lock = threading.Lock()  # guards the dictionary only; each key set has its own lock for fetching
        self._key_sets: dict[str, _KeySet] = {}

    def public_key(self, key_set_url: str, kid: str) -> Any:
        """The RSA public key for kid, ready for jwt.decode; LaunchRejected when there is none."""
        try:
            key: PyJWK = self._key_set(key_set_url).get_signing_key(kid)
        except PyJWKSetError:
            raise _unavailable(key_set_url, "the key set has no usable key") from None
        except PyJWKClientError:
            raise LaunchRejected(
                N_("The platform's key set has no key with kid %(kid)s; the token was signed by an unknown key.",
                   kid=repr(kid)),
                status=401,
            ) from None
        if key.key_type != "RSA" or key.algorithm_name != "RS256":
            raise LaunchRejected(N_("The platform key %(kid)s is not an RS256 RSA key.", kid=repr(kid)), status=401)
        return key.key

    def fetches(self, key_set_url: str) -> int:
        """How many times the key set was read (for operators and tests)."""
        with self._lock:
            key_set = self._key_sets.get(key_set_url)
        return key_set.fetches if key_set else 0

    def forget(self) -> None:
        with self._lock:
            self._key_sets.clear()

    def _key_set(self, url: str) -> _KeySet:
        with self._lock:
            key_set = self._key_sets.get(url)
            if key_set is None:
                key_set = self._key_sets[url] = _KeySet(url, self._client, lifespan=self._lifespan,
                                                        cooldown=self._cooldown)
            return key_set
