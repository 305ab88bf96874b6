"""Real HTTP(S) servers for the tool and the sandbox LMS, each in a background thread."""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.serving import BaseWSGIServer, make_server


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


class LiveServer:
    """Binds first (so the URL is known before the app is built), then serves the app in a thread."""

    def __init__(self, hostname: str, tls: TLSFiles | None = None) -> None:
        ssl_context = (str(tls.cert), str(tls.key)) if tls else None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, _not_ready, threaded=True, ssl_context=ssl_context)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{hostname}:{self._server.socket.getsockname()[1]}"
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> Any:
        return self._server.app

    def start(self, app: Any) -> LiveServer:
        self._server.app = app
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path


def make_self_signed_certificate(directory: Path) -> TLSFiles:
    """A certificate for localhost and 127.0.0.1, so two loopback origins are different sites."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peerlti test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TLSFiles(cert=directory / "cert.pem", key=directory / "key.pem")
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files
