"""Handing e-mails to the SMTP relay, telling a refusal that can be retried from one that may have delivered."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr

from assessment.reminder_outbox import Failure
from config.settings import MailSettings


@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, code: int, reply: bytes | str, step: str) -> None:
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        super().__init__(f"The mail server refused the {step}: {code} {text}".strip())
        # 4xx: try later; 5xx: never (a bad address, a refused sender).
        self.retryable = 400 <= code < 500


class Mailer:
    """One connection to the relay for a batch of messages, opened on first use and again after a failure.

    What can be retried: anything that fails before the message's data was handed over (a refused or dropped
    connection, a busy server, a 4xx answer), since the server cannot have taken it. What cannot: a connection lost
    while the data was going or before the server answered it, since it may have been delivered; it is reported for
    staff instead, never sent twice."""

    def __init__(self, mail: MailSettings) -> None:
        self._mail = mail
        self._sender = parseaddr(mail.mail_from)[1]
        self._connection: smtplib.SMTP | None = None

    def send_all(self, messages: Sequence[tuple[int, bytes, str]]) -> Outcome:
        """Send (id, message, recipient) in order; which were taken and which failed, and whether to retry them."""
        outcome = Outcome()
        for position, (reminder_id, message, recipient) in enumerate(messages):
            try:
                connection = self._connected()
            except (OSError, smtplib.SMTPException) as error:
                # The server cannot be reached: the rest of the batch would only wait for the same answer.
                reason = f"The mail server could not be reached: {error}"
                outcome.failures.extend(Failure(rest_id, reason, retryable=True) for rest_id, _m, _r in
                                        messages[position:])
                return outcome
            failure = self._send_one(connection, reminder_id, message, recipient)
            if failure is None:
                outcome.sent.append(reminder_id)
            else:
                outcome.failures.append(failure)
        return outcome

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                self._connection.close()
            self._connection = None

    def _connected(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        mail = self._mail
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if mail.implicit_tls:
            connection = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout_seconds, context=context)
        else:
            connection = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds)
        try:
            connection.ehlo()
            if not mail.implicit_tls and connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
            if mail.username:
                connection.login(mail.username, mail.password or "")
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _send_one(self, connection: smtplib.SMTP, reminder_id: int, message: bytes,
                  recipient: str) -> Failure | None:
        try:
            code, reply = connection.mail(self._sender)
            if code != 250:
                raise _Refused(code, reply, "sender")
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                raise _Refused(code, reply, "recipient")
        except _Refused as refusal:
            self._reset()
            return Failure(reminder_id, str(refusal), refusal.retryable)
        except (OSError, smtplib.SMTPException) as error:
            # Lost before the data: nothing was taken.
            self._drop()
            return Failure(reminder_id, f"The mail server dropped the connection: {error}", retryable=True)
        try:
            connection.data(message)
        except smtplib.SMTPDataError as refusal:
            self._reset()
            return Failure(reminder_id, str(_Refused(refusal.smtp_code, refusal.smtp_error, "message")),
                           400 <= refusal.smtp_code < 500)
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Failure(reminder_id, "The connection to the mail server was lost while the message was being sent; "
                                        f"it may have arrived, so it is not sent again: {error}", retryable=False)
        return None

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
