"""Reminder and summary e-mails, written in the reader's language from the tool's catalogues, outside any request."""

from __future__ import annotations

import base64
from datetime import datetime
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_datetime_format
from babel.support import NullTranslations, Translations

import lti_tool
from assessment.messages import N_
from assessment.reminder_outbox import SUMMARY_KIND, Outgoing
from assessment.reminders import ReminderKind
from config.settings import MailSettings
from lti_tool.languages import DEFAULT_LOCALE, SUPPORTED_LOCALES

TRANSLATIONS = Path(lti_tool.__file__).parent / "translations"

SUBJECTS = {
    ReminderKind.SUBMISSION: N_("Reminder: hand in your work for %(title)s"),
    ReminderKind.CALIBRATION: N_("Reminder: finish the calibration examples of %(title)s"),
    ReminderKind.REVIEW: N_("Reminder: finish your reviews for %(title)s"),
}
BODIES = {
    ReminderKind.SUBMISSION: N_("You have not handed in your work for %(title)s yet. Submissions close on %(due)s."),
    ReminderKind.CALIBRATION: N_("You have not finished the calibration examples of %(title)s yet. Calibration "
                                 "closes on %(due)s."),
    ReminderKind.REVIEW: N_("You still have reviews to finish for %(title)s. Reviewing closes on %(due)s."),
}
GREETING = N_("Hello %(name)s,")
OPEN_LINK = N_("Open the activity: %(url)s")
OPEN_FROM_COURSE = N_("Open the activity from your course %(course)s in your learning platform.")
OPT_OUT = N_("You can turn these reminders off on the activity's home page.")
SUMMARY_SUBJECT = N_("Daily summary for %(title)s")
SUMMARY_LINES = (
    N_("Submissions short of their reviews: %(count)s of %(total)s"),
    N_("Flagged reviews waiting for staff: %(count)s"),
    N_("Grades needing attention: %(count)s"),
    N_("Reminders not delivered (failed or no address): %(count)s"),
)
# The dashboard's words for work that ended reviewing with no review (instructor/overview.html).
UNREVIEWED = ("This submission has no review at all: %(names)s.", "These submissions have no review at all: %(names)s.")


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of a supported language (English, the source, for anything else)."""
    if locale not in SUPPORTED_LOCALES or locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])


@lru_cache(maxsize=256)
def _moment(moment: datetime, zone: str, locale: str) -> str:
    # As the pages write a deadline (lti_tool.i18n.format_moment): date and 24-hour time in the reader's language.
    local = moment.astimezone(ZoneInfo(zone))
    date, time = format_skeleton("yMMMEd", local, locale=locale), format_skeleton("Hm", local, locale=locale)
    return str(get_datetime_format("medium", locale=locale)).format(time, date) + f" {local.tzname() or zone}"


def activity_link(outgoing: Outgoing, tool_base_url: str) -> str | None:
    """The LMS's own address for the activity, so the person arrives through a launch; never one of the tool's,
    which would open without one."""
    url = outgoing.lms_url
    if not url or not url.startswith(("https://", "http://")):
        return None
    if url.rstrip("/").startswith(tool_base_url.rstrip("/")):
        return None
    return url


def compose(outgoing: Outgoing, mail: MailSettings, tool_base_url: str) -> bytes:
    locale = outgoing.locale if outgoing.locale in SUPPORTED_LOCALES else DEFAULT_LOCALE
    catalogue = translations(locale)

    def _(template: str, **params: object) -> str:
        return catalogue.gettext(template) % params if params else catalogue.gettext(template)

    link = activity_link(outgoing, tool_base_url)
    title = outgoing.assignment_title
    if outgoing.kind == SUMMARY_KIND:
        counts = dict(outgoing.details or {})
        subject = _(SUMMARY_SUBJECT, title=title)
        body = [_(SUMMARY_LINES[0], count=counts.get("short_of_reviews", 0), total=counts.get("submissions", 0)),
                _(SUMMARY_LINES[1], count=counts.get("flagged_reviews", 0)),
                _(SUMMARY_LINES[2], count=counts.get("grades_needing_attention", 0)),
                _(SUMMARY_LINES[3], count=counts.get("undelivered", 0))]
        unreviewed = list(counts.get("unreviewed") or ())
        if unreviewed:
            body.append(catalogue.ngettext(*UNREVIEWED, len(unreviewed)) % {"names": ", ".join(unreviewed)})
    else:
        kind = ReminderKind(outgoing.kind)
        due = _moment(outgoing.deadline, outgoing.timezone, locale) if outgoing.deadline else ""
        subject = _(SUBJECTS[kind], title=title)
        body = [_(BODIES[kind], title=title, due=due)]
    lines = [_(GREETING, name=outgoing.name), "", *body, ""]
    lines.append(_(OPEN_LINK, url=link) if link else _(OPEN_FROM_COURSE, course=outgoing.course_title))
    if outgoing.kind != SUMMARY_KIND:
        lines += ["", _(OPT_OUT)]
    headers = [("Subject", _encoded(subject)), ("From", _encoded_address(mail.mail_from)),
               ("To", _encoded_address(formataddr((outgoing.name, outgoing.email))))]
    if mail.reply_to:
        headers.append(("Reply-To", _encoded_address(mail.reply_to)))
    # X-Peerlti-Reminder lets a reader's mail program tell reminders apart, and the tests find one among many.
    headers += [("Content-Language", locale), ("X-Peerlti-Reminder", str(outgoing.reminder_id)),
                ("Message-ID", make_msgid(domain=_domain(mail.mail_from))), ("Date", formatdate(localtime=False)),
                ("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="utf-8"'),
                ("Content-Transfer-Encoding", "base64")]
    return message_bytes(headers, "\n".join(lines) + "\n")


def message_bytes(headers: list[tuple[str, str]], body: str) -> bytes:
    """The message as sent: ASCII headers, one a line, and the body in base64. Written out directly, because the
    email package folds and encodes every header of every message again, which costs more than the rest of a run for
    a large class; each header value here is already encoded once (`_encoded`), and never holds a line break."""
    head = "".join(f"{name}: {_one_line(value)}\r\n" for name, value in headers)
    encoded = base64.encodebytes(body.replace("\n", "\r\n").encode()).replace(b"\n", b"\r\n")
    return head.encode("ascii") + b"\r\n" + encoded


def _one_line(value: str) -> str:
    # A name from the LMS with a line break in it must not start a header of its own.
    return value.replace("\r", " ").replace("\n", " ")


@lru_cache(maxsize=1024)
def _encoded(text: str) -> str:
    """A header value in ASCII (RFC 2047 for the rest), the same for every student of a run: encoded once."""
    return text if text.isascii() else Header(_one_line(text), "utf-8").encode()


def _encoded_address(address: str) -> str:
    # formataddr already encodes a name that is not ASCII; MAIL_FROM may carry one written plainly.
    name, email = parseaddr(_one_line(address))
    return formataddr((name, email)) if email else _encoded(address)


@cache
def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
