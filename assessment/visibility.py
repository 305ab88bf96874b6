"""Who sees whose name: the anonymity rules of an assignment, in one place."""

from __future__ import annotations

from assessment.assignment_settings import Anonymity
from assessment.messages import N_


def author_label(anonymity: Anonymity, pseudonym: str, author_name: str, *, viewer_is_staff: bool) -> str:
    """What a reviewer (or staff) sees in place of the author of a submission."""
    if viewer_is_staff or anonymity is not Anonymity.DOUBLE_BLIND:
        return author_name
    return N_("Submission %(pseudonym)s", pseudonym=pseudonym)


def reviewer_label(anonymity: Anonymity, position: int, reviewer_name: str, *, staff_review: bool,
                   viewer_is_staff: bool) -> str:
    """What an author (or staff) sees in place of a reviewer: their name only in open mode or to staff."""
    if viewer_is_staff or anonymity is Anonymity.OPEN:
        return reviewer_name
    return N_("Course staff") if staff_review else N_("Reviewer %(number)s", number=position)


def team_label(anonymity: Anonymity, code: str, team_name: str, *, viewer_is_staff: bool) -> str:
    """What a reviewer (or staff) sees in place of the team whose work it is: never its members, and in double-blind
    mode only its anonymous code."""
    if viewer_is_staff or anonymity is not Anonymity.DOUBLE_BLIND:
        return team_name
    return N_("Team %(code)s", code=code)
