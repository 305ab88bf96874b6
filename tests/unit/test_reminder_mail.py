"""A reminder e-mail as written: headers that a name from the LMS cannot break, text in the reader's language."""

from datetime import UTC, datetime
from email import message_from_bytes, policy

from assessment.reminder_outbox import Outgoing
from config.settings import MailSettings
from workers.reminder_mail import compose

MAIL = MailSettings(host="relay", port=25, implicit_tls=False, mail_from="Peer assessment <peer@uni.example>",
                    reply_to="help@uni.example")


def _outgoing(**changes) -> Outgoing:
    fields = {"reminder_id": 7, "kind": "review", "hours": 6, "deadline": datetime(2026, 3, 10, 12, tzinfo=UTC),
              "email": "amara@uni.example", "name": "Amara Okafor", "locale": "en", "assignment_title": "Essay",
              "timezone": "Asia/Kolkata", "course_title": "Writing 101", "lms_url": "https://lms.example/a/1",
              "details": None}
    return Outgoing(**(fields | changes))


def _read(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def test_a_review_reminder_names_the_deadline_in_the_activitys_zone_and_links_through_the_lms():
    message = _read(compose(_outgoing(), MAIL, "https://peerlti.example"))
    assert message["Subject"] == "Reminder: finish your reviews for Essay"
    assert message["From"] == "Peer assessment <peer@uni.example>" and message["Reply-To"] == "help@uni.example"
    assert message["To"] == "Amara Okafor <amara@uni.example>" and message["X-Peerlti-Reminder"] == "7"
    body = message.get_content()
    assert "Reviewing closes on Tue, Mar 10, 2026, 17:30 IST." in body
    assert "Open the activity: https://lms.example/a/1" in body


def test_a_name_with_a_line_break_cannot_add_a_header():
    raw = compose(_outgoing(name="Eve\r\nBcc: everyone@uni.example"), MAIL, "https://peerlti.example")
    message = _read(raw)
    assert message["Bcc"] is None and b"\r\nBcc:" not in raw
    assert "everyone@uni.example" in message["To"]  # kept inside the To header, as text of the name


def test_names_and_subjects_beyond_ascii_are_encoded_and_read_back():
    message = _read(compose(_outgoing(name="आरव शर्मा", assignment_title="निबंध", locale="hi"), MAIL,
                            "https://peerlti.example"))
    assert message["To"].addresses[0].display_name == "आरव शर्मा" and "निबंध" in message["Subject"]
    assert message["Content-Language"] == "hi"
    assert "मार्च" in message.get_content()  # the date as Hindi writes it
