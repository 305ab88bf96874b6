"""The tool's public keys, fetched from its JWKS and refetched when an unknown kid shows up."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from lti1p3platform.exceptions import LtiException

FETCH_TIMEOUT_SECONDS = 5
# A flood of assertions with made-up kids must not turn into a flood of JWKS fetches.
MIN_SECONDS_BETWEEN_FETCHES = 2.0


class ToolKeySet:
    def __init__(self, jwks_url: str, verify_tls: bool | str, fixed_key_set: dict | None) -> None:
        self._jwks_url = jwks_url
        self._verify_tls = verify_tls
        self._fixed_key_set = fixed_key_set
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] | None = None
        self._fetched_at = 0.0

    @property
    def jwks_url(self) -> str:
        return self._jwks_url

    def key_for(self, kid: str) -> dict[str, Any]:
        """The tool's JWK with this kid; raises LtiException when the tool does not publish it."""
        if self._fixed_key_set is not None:
            return _find(self._fixed_key_set.get("keys", []), kid)
        with self._lock:
            if self._keys is None or (
                not _has(self._keys, kid) and time.monotonic() - self._fetched_at >= MIN_SECONDS_BETWEEN_FETCHES
            ):
                self._keys = self._fetch()
                self._fetched_at = time.monotonic()
            return _find(self._keys, kid)

    def _fetch(self) -> list[dict[str, Any]]:
        try:
            response = requests.get(self._jwks_url, timeout=FETCH_TIMEOUT_SECONDS, verify=self._verify_tls)
            response.raise_for_status()
            keys = response.json()["keys"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as error:
            raise LtiException(f"Could not fetch the tool's JWKS from {self._jwks_url}: {error}") from error
        if not isinstance(keys, list):
            raise LtiException(f"The tool's JWKS at {self._jwks_url} has no list of keys")
        return keys


def _has(keys: list[dict[str, Any]], kid: str) -> bool:
    return any(key.get("kid") == kid for key in keys)


def _find(keys: list[dict[str, Any]], kid: str) -> dict[str, Any]:
    for key in keys:
        if key.get("kid") == kid:
            return key
    raise LtiException(f"The tool's JWKS has no key with kid {kid!r}")
