"""Command line: `python -m sandbox serve` runs the LMS, `python -m sandbox registration` prints its record."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from werkzeug.serving import make_server

from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from sandbox.mail import start_mail_server
from sandbox.profiles import PROFILES
from sandbox.registration import registration_record
from sandbox.runtime import EXTENSION_KEY

DEFAULT_PORT = 5001


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "registration":
        config = SandboxConfig(
            base_url=args.base_url.rstrip("/"),
            tool_base_url="",
            instance_path="",
            client_id=args.client_id,
            deployment_id=args.deployment_id,
            lms=args.lms,
        )
        json.dump(registration_record(config), sys.stdout, indent=2)
        print()
        return 0
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    if bool(args.cert) != bool(args.key):
        print("--cert and --key go together.", file=sys.stderr)
        return 2
    scheme = "https" if args.cert else "http"
    base_url = (args.base_url or f"{scheme}://localhost:{args.port}").rstrip("/")
    config = SandboxConfig(
        base_url=base_url,
        tool_base_url=args.tool_url.rstrip("/"),
        instance_path=args.instance_path,
        client_id=args.client_id,
        deployment_id=args.deployment_id,
        secret_key=args.secret_key,
        verify_tls=args.tool_ca or True,
        lms=args.lms,
        activity_urls=True,
        team_project=True,
    )
    app = create_sandbox_app(config)
    mail_server = None
    if args.smtp_port:
        # Reminders from the tool (SMTP_URL=smtp://127.0.0.1:PORT) land in the inboxes of the Mail page.
        mail_server = start_mail_server(app.extensions[EXTENSION_KEY].mailbox, args.host, args.smtp_port)
        app.config["SANDBOX_SMTP_PORT"] = args.smtp_port
        print(f"Mail to the course's people: SMTP on {args.host}:{args.smtp_port}, read at {base_url}/mail")
    ssl_context = (args.cert, args.key) if args.cert else None
    server = make_server(args.host, args.port, app, threaded=True, ssl_context=ssl_context)
    print(f"peerlti sandbox LMS ({args.lms} profile) listening on {scheme}://{args.host}:{server.port}")
    print(f"Open {base_url}/ to launch the tool at {config.tool_base_url}")
    print(f"Registration record for the tool: {base_url}/registration.json")
    print(f"Register a tool by LTI Dynamic Registration: {base_url}/admin/tools")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if mail_server is not None:
            mail_server.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="The peerlti sandbox LMS.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the sandbox LMS")
    serve.add_argument("--host", default=env.get("SANDBOX_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(env.get("SANDBOX_PORT", DEFAULT_PORT)))
    serve.add_argument(
        "--base-url", default=env.get("SANDBOX_BASE_URL"), help="issuer URL (default: http(s)://localhost:PORT)"
    )
    serve.add_argument("--smtp-port", type=int, default=int(env.get("SANDBOX_SMTP_PORT", 0)),
                       help="receive the tool's e-mails by SMTP on this port and show them at /mail (0: off)")
    serve.add_argument("--tool-url", default=env.get("SANDBOX_TOOL_URL", "http://localhost:5000"))
    serve.add_argument("--instance-path", default=env.get("SANDBOX_INSTANCE_PATH", "instance/sandbox"))
    serve.add_argument("--secret-key", default=env.get("SANDBOX_SECRET_KEY"))
    serve.add_argument("--cert", default=env.get("SANDBOX_CERT"), help="TLS certificate (PEM) to serve HTTPS")
    serve.add_argument("--key", default=env.get("SANDBOX_KEY"), help="TLS private key (PEM) to serve HTTPS")
    serve.add_argument(
        "--tool-ca", default=env.get("SANDBOX_TOOL_CA"), help="CA bundle to verify the tool's HTTPS JWKS"
    )
    _add_registration_ids(serve)

    registration = commands.add_parser("registration", help="print the registration JSON for the tool")
    registration.add_argument("--base-url", default=env.get("SANDBOX_BASE_URL", f"http://localhost:{DEFAULT_PORT}"))
    _add_registration_ids(registration)
    return parser


def _add_registration_ids(parser: argparse.ArgumentParser) -> None:
    defaults = SandboxConfig(base_url="", tool_base_url="", instance_path="")
    parser.add_argument("--lms", choices=sorted(PROFILES), default=os.environ.get("SANDBOX_LMS", defaults.lms),
                        help="behave like the specifications (spec), like Canvas or like Moodle")
    parser.add_argument("--client-id", default=os.environ.get("SANDBOX_CLIENT_ID", defaults.client_id))
    parser.add_argument("--deployment-id", default=os.environ.get("SANDBOX_DEPLOYMENT_ID", defaults.deployment_id))


if __name__ == "__main__":
    sys.exit(main())
