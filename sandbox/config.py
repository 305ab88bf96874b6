"""The sandbox LMS's settings: who it is, where the tool lives, where it keeps its state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxConfig:
    base_url: str
    tool_base_url: str
    instance_path: str
    client_id: str = "peerlti-sandbox"
    deployment_id: str = "sandbox-deployment-1"
    secret_key: str | None = None
    # A JWKS dict used instead of fetching the tool's key set (tests sign with their own key).
    tool_key_set: dict | None = None
    # requests' `verify=` for fetching the tool's JWKS: True, False or a CA bundle path.
    verify_tls: bool | str = True
    # Whether the course page offers LTI platform storage (lti_storage_target) to the tool it frames, as Canvas does.
    platform_storage: bool = True
