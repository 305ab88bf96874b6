"""A small round-robin HTTP proxy on 127.0.0.1, as a load balancer in front of several instances of the tool.

Each request goes to the next instance in turn; an instance that refuses the connection (stopped, killed) is
skipped, as a load balancer's health check would take it out, so the request is not lost. A request already sent
to an instance that dies before answering gets a 502, as it would from a real balancer."""

from __future__ import annotations

import http.client
import itertools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers about one connection only, never passed on (RFC 9110, 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade"}


class RoundRobinProxy:
    def __init__(self, backends: list[str]) -> None:
        self.backends = [(urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80) for url in backends]
        self.answered: Counter[int] = Counter()  # requests each backend (by index) answered
        self.log: list[tuple[int, str, str, int]] = []  # (backend, method, path, status), in order
        self._turns = itertools.count()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://localhost:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> int:
        with self._lock:
            return next(self._turns) % len(self.backends)

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
                ) -> tuple[int, int, list[tuple[str, str]], bytes]:
        """The first instance, in turn, that takes the connection answers: (backend, status, headers, body)."""
        for _ in range(len(self.backends)):
            index = self._next()
            host, port = self.backends[index]
            connection = http.client.HTTPConnection(host, port, timeout=120)
            try:
                connection.connect()
            except OSError:
                connection.close()
                continue  # nothing was sent: the next instance takes it
            try:
                connection.request(method, path, body=body, headers=dict(headers))
                answer = connection.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException):
                return index, 502, [], b"the instance went away before answering"
            finally:
                connection.close()
            with self._lock:
                self.answered[index] += 1
                self.log.append((index, method, path, answer.status))
            return index, answer.status, answer.getheaders(), data
        return -1, 502, [], b"no instance takes connections"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = [(name, value) for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP]
                _, status, answer_headers, data = proxy.forward(self.command, self.path, headers, body)
                self.send_response_only(status)
                for name, value in answer_headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = _relay

            def log_message(self, format: str, *args: object) -> None:
                pass  # the proxy's own `log` records what matters

        return Handler
