"""The registration record a tool needs to trust this sandbox (`peerlti platform add --json`)."""

from __future__ import annotations

from typing import Any

from sandbox.config import SandboxConfig
from sandbox.endpoints import Endpoints


def registration_record(config: SandboxConfig) -> dict[str, Any]:
    endpoints = Endpoints.from_config(config)
    return {
        "name": endpoints.profile.platform_name,
        "issuer": endpoints.issuer,
        "client_id": config.client_id,
        "auth_login_url": endpoints.auth,
        "auth_token_url": endpoints.token,
        "key_set_url": endpoints.jwks,
        "audience": endpoints.token,
        "deployment_ids": [config.deployment_id],
        "accept_new_deployments": False,
    }
