"""What an LMS's refusal of a service call means for staff, and what they can do, in the tool's own words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import gettext

from lti_tool.roster import CANVAS_SCOPE_MISSING


def roster_refusal(status: int | None, retryable: bool = True, cause: str | None = None) -> str:
    """The page text for a roster (NRPS) call the LMS refused with `status` (None: no usable answer at all;
    then `retryable` False means trying again will not help: an answer too large, an address refused), or with a
    known `cause` (lti_tool/roster.py refusal_cause)."""
    if cause == CANVAS_SCOPE_MISSING:
        return gettext(
            "Canvas refused peerlti the roster (HTTP %(status)s, “Insufficient permissions”): peerlti's developer key "
            "does not include the Names and Role Provisioning scope (“Can retrieve user data associated with the "
            "context the tool is installed in”). A Canvas administrator must edit peerlti's key under Admin, "
            "Developer Keys, turn that scope on under LTI Advantage Services, and save; if the key's Privacy Level is "
            "Anonymous, set it to Public so that names come through. Then sync again. Students still appear as "
            "they open the activity.", status=status) + " " + gettext("Nothing was changed.")
    if status is None and not retryable:
        return gettext(
            "peerlti could not use the LMS's answer for the roster: it was larger than peerlti reads, or the "
            "LMS's address is one peerlti does not connect to. Nothing was changed. Ask the administrator of "
            "peerlti; its log has the details.")
    if status is None:
        return gettext(
            "The LMS did not answer peerlti's request for the roster (no answer in time, or it could not be "
            "reached). Nothing was changed. Try again in a few minutes; if it keeps failing, ask your LMS "
            "administrator whether the LMS is reachable from peerlti.")
    if status == 401:
        meaning = gettext("The LMS did not accept peerlti's credentials for the roster (HTTP %(status)s). Ask your "
                          "LMS administrator to check peerlti's registration (its client id and public key set URL).",
                          status=status)
    elif status == 403:
        meaning = gettext(
            "The LMS refused to give peerlti this course's roster (HTTP %(status)s). Some LMSs refuse it for courses "
            "above a size limit, or when the roster service (Names and Role Provisioning) is not enabled for the "
            "tool; ask your LMS administrator. Students still appear as they open the activity.", status=status)
    elif status == 404:
        meaning = gettext("The LMS no longer knows this course's roster address (HTTP %(status)s). Open the activity "
                          "again from your course, so that the LMS sends a fresh one, then sync again.", status=status)
    elif status == 429:
        meaning = gettext("The LMS is limiting how often peerlti may call it (HTTP %(status)s). Try again in a few "
                          "minutes.", status=status)
    elif status >= 500:
        meaning = gettext("The LMS had an error answering for the roster (HTTP %(status)s). Try again later; if it "
                          "keeps failing, tell your LMS administrator.", status=status)
    else:
        meaning = gettext("The LMS could not answer peerlti's request for the roster (HTTP %(status)s). If it keeps "
                          "failing, ask your LMS administrator; peerlti's log has the details.", status=status)
    return meaning + " " + gettext("Nothing was changed.")


@dataclass(frozen=True)
class RosterSyncOutcome:
    """What the last roster sync did, as staff read it on the People page."""

    at: datetime
    message: str
    refused: bool


def last_roster_sync(recorded: dict[str, Any] | None) -> RosterSyncOutcome | None:
    """The outcome a sync recorded on its resource link (see ResourceLink.last_roster_sync), or None."""
    if not recorded or not isinstance(recorded.get("at"), str):
        return None
    at = datetime.fromisoformat(recorded["at"])
    refused = recorded.get("refused")
    if isinstance(refused, dict):
        return RosterSyncOutcome(at, roster_refusal(refused.get("status"), bool(refused.get("retryable", True)),
                                                    refused.get("cause")), True)
    message = gettext("%(added)s people added, %(updated)s updated.",
                      added=recorded.get("added", 0), updated=recorded.get("updated", 0))
    return RosterSyncOutcome(at, message, False)


def lms_refusal_page(message: str) -> tuple[str, int]:
    # 502: the tool is fine; the LMS behind it did not give what was asked.
    return render_template("error.html", status=502, message=message), 502
