"""The sandbox LMS's mail server: SMTP (aiosmtpd) inside its process, keeping what arrives for each person's inbox."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

# Enough for a demo class's reminders; the oldest go first.
KEPT = 1000


@dataclass(frozen=True)
class Mail:
    recipient: str
    sender: str
    subject: str
    body: str
    language: str
    received_at: datetime


@dataclass
class Mailbox:
    """Every message received, newest last, for all recipients."""

    _mails: deque[Mail] = field(default_factory=lambda: deque(maxlen=KEPT))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, mail: Mail) -> None:
        with self._lock:
            self._mails.append(mail)

    def to(self, address: str) -> list[Mail]:
        """The inbox of one address, newest first."""
        wanted = address.casefold()
        with self._lock:
            return [mail for mail in reversed(self._mails) if mail.recipient.casefold() == wanted]

    def all(self) -> list[Mail]:
        with self._lock:
            return list(reversed(self._mails))


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(("plain",))
        body = part.get_content().replace("\r\n", "\n") if part is not None else ""
        for recipient in envelope.rcpt_tos:
            self._mailbox.add(Mail(recipient=recipient, sender=str(message.get("From", "")),
                                   subject=str(message.get("Subject", "")), body=body,
                                   language=str(message.get("Content-Language", "")),
                                   received_at=datetime.now(UTC)))
        return "250 Message accepted for delivery"


def start_mail_server(mailbox: Mailbox, host: str, port: int) -> Controller:
    """Listen for SMTP on host:port in a thread of this process; the caller stops it."""
    controller = Controller(_Handler(mailbox), hostname=host, port=port)
    controller.start()
    return controller
