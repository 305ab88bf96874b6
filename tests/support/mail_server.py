"""Real SMTP servers for the tests: aiosmtpd keeping what it received, one answering with refusals, one hanging up."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """What the server took, message by message, and how it answers the next ones."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    # "accept"; "refuse_recipient": 451 to RCPT (try later); "reject_recipient": 550; "hang_up_after_data": the
    # message is read whole and the connection closed without an answer (it may count as delivered).
    mode: str = "accept"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for message, recipient in zip(self.messages, self.recipients, strict=True)
                    if recipient == address]


class _Handler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.received.mode == "refuse_recipient":
            return "451 4.3.0 Try again later"
        if self.received.mode == "reject_recipient":
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.received.lock:
            for recipient in envelope.rcpt_tos:
                self.received.messages.append(message)  # type: ignore[arg-type]
                self.received.recipients.append(recipient)
        if self.received.mode == "hang_up_after_data":
            server.transport.close()
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[str, Received]]:
    """An SMTP server on localhost: its smtp:// URL and what it receives."""
    received = Received()
    controller = Controller(_Handler(received), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", received
    finally:
        controller.stop()


@contextmanager
def hanging_up_server() -> Iterator[str]:
    """A server that accepts each connection and closes it at once, before any greeting."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()
