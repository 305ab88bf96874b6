"""The launch floor: a minimal Flask tool that logs in and launches with pylti1p3 alone, no database."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from flask import Flask, jsonify, redirect
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.tool_config import ToolConfDict

# Environment of `bare_tool_from_env()`, the factory gunicorn calls.
ENVIRONMENT = ("BARE_TOOL_ISSUER", "BARE_TOOL_CLIENT_ID", "BARE_TOOL_DEPLOYMENT_ID", "BARE_TOOL_AUTH_URL",
               "BARE_TOOL_TOKEN_URL", "BARE_TOOL_KEY_SET_URL", "BARE_TOOL_BASE_URL", "BARE_TOOL_SECRET_KEY")
KEY_SET_LIFETIME_SECONDS = 300  # as long as peerlti keeps a platform's key set


class ProcessCache:
    """The little of a Flask-Caching cache pylti1p3 uses (get, set, delete), kept in this process's memory: the
    platform's key set is cached per worker, as peerlti caches it, instead of fetched for every launch."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            value, expires = self._values.get(key, (None, 0.0))
        return value if expires > time.monotonic() else None

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        with self._lock:
            self._values[key] = (value, time.monotonic() + (timeout or 3600))
        return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._values.pop(key, None) is not None


def create_bare_tool(env: dict[str, str]) -> Flask:
    """The tool at BARE_TOOL_BASE_URL, trusting one platform: /lti/login and /lti/launch as peerlti names them.

    pylti1p3's own defaults keep the state in a cookie and the nonce in Flask's signed session cookie, so the tool
    needs no server-side store, as peerlti's signed state does not; only the platform's key set is cached."""
    app = Flask(__name__)
    app.secret_key = env["BARE_TOOL_SECRET_KEY"]
    tool_conf = ToolConfDict({env["BARE_TOOL_ISSUER"]: [{
        "default": True,
        "client_id": env["BARE_TOOL_CLIENT_ID"],
        "auth_login_url": env["BARE_TOOL_AUTH_URL"],
        "auth_token_url": env["BARE_TOOL_TOKEN_URL"],
        "key_set_url": env["BARE_TOOL_KEY_SET_URL"],
        "key_set": None,
        "deployment_ids": [env["BARE_TOOL_DEPLOYMENT_ID"]],
    }]})
    launch_url = env["BARE_TOOL_BASE_URL"] + "/lti/launch"
    cache = ProcessCache()

    @app.route("/lti/login", methods=["GET", "POST"])
    def login():
        oidc_login = FlaskOIDCLogin(FlaskRequest(), tool_conf)
        return oidc_login.redirect(launch_url)

    @app.post("/lti/launch")
    def launch():
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf)
        message_launch.set_public_key_caching(FlaskCacheDataStorage(cache), KEY_SET_LIFETIME_SECONDS)
        data = message_launch.get_launch_data()
        # What a tool remembers of a launch: who, where, with which roles (peerlti keeps as much in its session).
        link = data.get("https://purl.imsglobal.org/spec/lti/claim/resource_link", {}).get("id", "")
        return redirect(f"/links/{link}?sub={data['sub']}", 303)

    @app.get("/links/<link>")
    def landing(link: str):
        return jsonify(link=link)

    return app


def bare_tool_from_env() -> Flask:
    missing = [name for name in ENVIRONMENT if not os.environ.get(name)]
    if missing:
        raise RuntimeError("the bare tool needs " + ", ".join(missing))
    return create_bare_tool({name: os.environ[name] for name in ENVIRONMENT})
