"""The sandbox LMS receives the tool's e-mails by SMTP and shows each person's inbox."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from sandbox.app import create_sandbox_app
from sandbox.mail import start_mail_server
from sandbox.runtime import EXTENSION_KEY
from tests.support.mail_server import free_port
from tests.support.sandbox_setup import new_tool_key, sandbox_config


@pytest.fixture
def sandbox(tmp_path):
    app = create_sandbox_app(sandbox_config(tmp_path, new_tool_key()))
    port = free_port()
    server = start_mail_server(app.extensions[EXTENSION_KEY].mailbox, "127.0.0.1", port)
    app.config["SANDBOX_SMTP_PORT"] = port
    yield app, port
    server.stop()


def _send(port: int, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "peerlti@localhost", to, subject
    message.set_content(body)
    message["Content-Language"] = "hi"
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as connection:
        connection.send_message(message)


def test_mail_to_a_person_of_the_course_shows_in_their_inbox_and_nobody_elses(sandbox):
    app, port = sandbox
    _send(port, "amara.okafor@example.edu", "Reminder: hand in your work for Essay", "Hello Amara,\nSoon.")
    _send(port, "stranger@example.org", "Lost", "Nobody here.")
    page = app.test_client().get("/mail").get_data(as_text=True)
    amara = page.split('id="inbox-student-1"')[1].split("</section>")[0]
    assert "Reminder: hand in your work for Essay" in amara and "Hello Amara," in amara and "<dd>hi</dd>" in amara
    ben = page.split('id="inbox-student-2"')[1].split("</section>")[0]
    assert "No mail." in ben and "Reminder" not in ben
    assert "Lost" in page.split('id="inbox-others"')[1]
    assert f"port {port}" in page


def test_without_its_mail_server_the_page_says_how_to_start_it(tmp_path):
    app = create_sandbox_app(sandbox_config(tmp_path, new_tool_key()))
    page = app.test_client().get("/mail").get_data(as_text=True)
    assert "mail server is not running" in page and "No mail." in page
