"""Tools this LMS trusts: the configured one and those registered through Dynamic Registration, kept as JSON."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.endpoints import Endpoints

STATE_FILE_NAME = "tool_registrations.json"
# An administrator opens the tool's registration page right after the token is issued; an hour is plenty.
TOKEN_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class ToolRegistration:
    """What the LMS needs to launch a tool: its client id and deployment here, and the tool's URLs."""

    client_id: str
    deployment_id: str
    client_name: str
    login_url: str
    redirect_uris: tuple[str, ...]
    jwks_url: str
    target_link_uri: str
    deep_linking_url: str | None = None
    scopes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolRegistration:
        return cls(**(data | {"redirect_uris": tuple(data["redirect_uris"]), "scopes": tuple(data.get("scopes", ()))}))


def configured_tool(config: SandboxConfig, endpoints: Endpoints) -> ToolRegistration:
    """The tool given on the command line (`--tool-url`, `--client-id`), registered by hand."""
    return ToolRegistration(
        client_id=config.client_id,
        deployment_id=config.deployment_id,
        client_name="peerlti",
        login_url=endpoints.tool_login,
        redirect_uris=(endpoints.tool_launch,),
        jwks_url=endpoints.tool_jwks,
        target_link_uri=endpoints.tool_launch,
        deep_linking_url=endpoints.tool_launch,
    )


class ToolRegistrations:
    """Tools registered dynamically, and the single-use tokens that allow one registration each."""

    def __init__(self, instance_path: Path) -> None:
        self._path = instance_path / STATE_FILE_NAME
        self._lock = threading.Lock()
        self._tools: dict[str, ToolRegistration] = {}
        if self._path.exists():
            stored = json.loads(self._path.read_text(encoding="utf-8"))
            self._tools = {item["client_id"]: ToolRegistration.from_dict(item) for item in stored["tools"]}
        # Tokens live in memory only: a restart simply means starting the registration again.
        self._tokens: dict[str, float] = {}

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + TOKEN_LIFETIME_SECONDS
        return token

    def redeem_token(self, token: str) -> bool:
        """True once for a token this LMS issued and that has not expired; False ever after."""
        with self._lock:
            expires = self._tokens.pop(token, None)
        return expires is not None and time.monotonic() < expires

    def add(self, tool: ToolRegistration) -> None:
        with self._lock:
            self._tools[tool.client_id] = tool
            self._save()

    def find(self, client_id: str) -> ToolRegistration | None:
        with self._lock:
            return self._tools.get(client_id)

    def all(self) -> list[ToolRegistration]:
        with self._lock:
            return list(self._tools.values())

    def _save(self) -> None:
        # Written whole to a temporary file and renamed: a crash never leaves half a file.
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self._path.parent, prefix=".tools-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                json.dump({"tools": [asdict(tool) for tool in self._tools.values()]}, temp, indent=2)
            os.replace(temp_name, self._path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
