"""Error reports to Sentry when `SENTRY_DSN` is set; the package (the `sentry` extra) is imported only then."""

from __future__ import annotations

import importlib

from config.settings import Settings, SettingsError


def init_sentry(settings: Settings) -> bool:
    """Start reporting once per process; True when Sentry is on."""
    if settings.sentry_dsn is None:
        return False
    try:
        sentry_sdk = importlib.import_module("sentry_sdk")
    except ImportError:
        raise SettingsError("SENTRY_DSN is set but sentry-sdk is not installed: pip install 'peerlti[sentry]'") from None
    # No request bodies, cookies or user data: they carry tokens and the names of people (see the log redaction).
    sentry_sdk.init(dsn=settings.sentry_dsn, environment=settings.environment, send_default_pii=False,
                    max_request_body_size="never", traces_sample_rate=0.0)
    return True
