"""Which phase of an assignment allows each write of authors and reviewers; every write use case asks here."""

from __future__ import annotations

from datetime import datetime

from assessment.errors import PhaseClosed
from assessment.grading import Lateness, SubmissionWindow
from assessment.messages import N_
from assessment.models import Assignment, Review, ReviewKind, ReviewStatus
from assessment.personal_dates import PersonalDates
from assessment.phases import HAND_IN_PHASES, PHASE_NAMES, Phase

# The rules, checked against the phase (the dates, or the phase staff moved the assignment to by hand) and the dates:
# 0. In setup (where a new activity waits until staff open it) nothing is handed in, reviewed or assessed, by
#    students or staff: only the activity itself (settings, rubric, calibration examples) is written.
# 1. Handing in a version: in the submission phase, within the dates' window (late work as the late policy allows).
# 2. In the calibration and review phases only late work is taken, and only when the late policy accepts it and its
#    dates still allow; once grading starts (or in setup) nothing is handed in, whatever the dates say. A student with
#    an extension works to their own dates (assessment.personal_dates): their phase, their deadline (work before it
#    is on time, whatever phase the class is in) and their late window, counted from their own deadline. Every
#    deadline is the first instant after its step, as each phase ends where the next begins.
# 3. Peer reviews and self-assessments (drafts and submissions, first or edited) are written in the review phase only.
# 4. Staff assessments are written in any phase but setup: staff settle doubtful grades after reviewing closes.
# 5. A review is written only while it is the reviewer's: assigned under an unexpired lease, or submitted by them;
#    an expired or removed review is closed.
# 6. A flagged review is frozen, whether the flag is open or was resolved keeping the review: staff decide on exactly
#    the text the author flagged.
# 7. Helpfulness ratings and flags are given in the released phase only, when authors can read their feedback.
# 8. Grades are computed, overridden and released in any phase but setup: staff may look at grades while reviewing
#    goes on, and a release opens the results to students (it moves the activity to released).


SETUP_CLOSED: str = N_("This activity is still being set up, so nothing can be handed in, reviewed or assessed "
                       "yet. It opens when the instructor opens it and its dates arrive.")


def ensure_open(assignment: Assignment, now: datetime) -> None:
    """Rule 0: refuse every write of work, reviews and assessments while the activity is in setup."""
    if assignment.phase_at(now) is Phase.SETUP:
        raise PhaseClosed(SETUP_CLOSED)


def phase_for(assignment: Assignment, now: datetime, dates: PersonalDates | None) -> Phase:
    """The phase a student is in: the class's, or their own where an extension moved their dates."""
    return dates.phase_at(now, assignment.phase_override) if dates is not None else assignment.phase_at(now)


def hand_in_lateness(assignment: Assignment, now: datetime, dates: PersonalDates | None = None) -> Lateness:
    """How late a hand-in at `now` is (rules 0, 1 and 2); PhaseClosed when the assignment takes no work now."""
    phase = phase_for(assignment, now, dates)
    due = dates.timeline.submission_due if dates is not None else assignment.submission_due
    policy = dates.late_policy if dates is not None else assignment.late_policy
    if phase is Phase.SETUP:
        raise PhaseClosed(N_("Submissions are not open yet."))
    # Before their own deadline, an extended student hands in whatever phase they are in (their own reviewing may
    # close at that very deadline, as the class's closes at its review deadline).
    within_own_date = dates is not None and dates.extended and now < due
    if not within_own_date and (phase not in HAND_IN_PHASES
                                or (phase is not Phase.SUBMISSION and not assignment.accept_late)):
        raise PhaseClosed(N_(
            "The assignment is in its %(phase)s phase and no longer accepts work. "
            "Ask your instructor if you need an extension.", phase=PHASE_NAMES[phase]))
    return SubmissionWindow(assignment.submission_opens, due, policy).check(now)


def ensure_review_writable(assignment: Assignment, review: Review, now: datetime, *, flagged: bool,
                           dates: PersonalDates | None = None) -> None:
    """Refuse a change to a review that rules 0 and 3 to 6 close; `dates` are the reviewer's own, if extended."""
    if review.status is not ReviewStatus.SUBMITTED and not review.is_open(now):
        raise PhaseClosed(N_("This review is no longer yours to complete: its time ran out or staff removed it. "
                             "Ask for another submission to review."))
    if flagged:
        raise PhaseClosed(N_("This review was flagged by its author, so it can no longer be changed: course staff "
                             "decide on the review as it was flagged."))
    ensure_open(assignment, now)
    phase = phase_for(assignment, now, dates if review.kind is not ReviewKind.STAFF else None)
    if review.kind is not ReviewKind.STAFF and phase is not Phase.REVIEW:
        raise PhaseClosed(N_("Reviewing is closed: the assignment is in its %(phase)s phase, so reviews can no "
                             "longer be written or changed.", phase=PHASE_NAMES[phase]))


def ensure_feedback_open(assignment: Assignment, now: datetime, dates: PersonalDates | None = None) -> None:
    """Rule 7; an author whose extension still runs reads their feedback with their grade, once it ends."""
    if phase_for(assignment, now, dates) is not Phase.RELEASED:
        raise PhaseClosed(N_("Feedback is shown once results are released."))


def ensure_gradable(assignment: Assignment, now: datetime) -> None:
    """Rule 8, for computing and overriding grades: not in setup, where no work exists yet to grade."""
    if assignment.phase_at(now) is Phase.SETUP:
        raise PhaseClosed(N_("This activity is still being set up: grades are computed once students have handed in "
                             "work and reviewed it."))



def ensure_releasable(assignment: Assignment, now: datetime) -> None:
    """Rule 8, for releasing grades: not in setup. A release in an earlier phase moves the activity to released, so
    staff who release while reviewing goes on end it; the grades page says so before they press the button."""
    ensure_gradable(assignment, now)
