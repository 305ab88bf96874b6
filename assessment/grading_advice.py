"""What the last grading run advises staff: the reviewers to check, with their evidence, and the work to grade first."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from assessment.models import Assignment, CourseRole, Enrollment, Grade, Person, Submission
from assessment.reviewer_warnings import ReviewerWarnings, judged_reviews, reviewer_warnings
from assessment.score_explanation import ScoreExplanation, from_stored
from assessment.triage import grading_priorities
from assessment.warning_dismissals import Dismissal, dismissals

# Staff grade about this share of the class first: enough to inform most reviewers' measured bias, few enough to do.
STAFF_SHARE = 0.05
MAX_SUGGESTED = 10


@dataclass(frozen=True)
class Suggestion:
    """A piece of work worth a staff grade, with why: its own expected error and the work its reviewers also scored."""

    person_id: int
    name: str
    submission_id: int
    expected_error: float  # points: the root of its own expected squared error
    informs: int  # other submissions whose reviewers a staff grade here helps to measure


@dataclass(frozen=True)
class GradingAdvice:
    warnings: ReviewerWarnings  # those staff have not dismissed; reviewers and members by person id
    names: Mapping[int, str]
    grade_first: list[Suggestion]
    dismissed: ReviewerWarnings  # still found by the last run, but dismissed by staff
    dismissals: Mapping[tuple[int, str], Dismissal]

    def name(self, person_id: int) -> str:
        return self.names.get(person_id, "")

    @property
    def any_warnings(self) -> bool:
        return bool(len(self.warnings) or len(self.dismissed))

    def dismissal(self, reviewer: int | tuple[int, ...], kind: str) -> Dismissal | None:
        """Who dismissed the warning and when; for a clique, whoever dismissed it last."""
        found = [self.dismissals.get((person, kind)) for person in (reviewer if isinstance(reviewer, tuple)
                                                                     else (reviewer,))]
        return max((d for d in found if d is not None), key=lambda d: d.at, default=None)


@dataclass(frozen=True)
class GradedWork:
    """What the advice reads of one student's grade: the explanation kept with it, as stored."""

    person_id: int
    submission_id: int
    stored_explanation: Mapping[str, Any] | None
    std: float | None
    overridden: bool


def grading_advice(session: Session, assignment: Assignment, names: Mapping[int, str] | None = None,
                   enrolled: Sequence[GradedWork] | None = None) -> GradingAdvice:
    """The advice drawn from the grades as last computed: the model's weights and corrections of every review kept
    with each grade. Grades computed before explanations were kept, and grades staff overrode, are not offered.

    `enrolled` is the graded work of the course's students when the caller has loaded it (the dashboard does, with
    its rows); only the grades of people no longer enrolled as students are read then."""
    others = (~exists().where(Enrollment.person_id == Grade.person_id, Enrollment.course_id == assignment.course_id,
                              Enrollment.role == CourseRole.STUDENT),) if enrolled is not None else ()
    rows = session.execute(
        select(Grade.person_id, Submission.id, Grade.score_explanation, Grade.submission_std, Grade.override_total)
        .join(Submission, and_(Submission.author_id == Grade.person_id, Submission.assignment_id == Grade.assignment_id))
        .where(Grade.assignment_id == assignment.id, *others)
    ).all()
    graded = [*(enrolled or ()), *(GradedWork(person, submission, stored, std, override is not None)
                                   for person, submission, stored, std, override in rows)]
    graded.sort(key=lambda work: work.person_id)
    explanations: dict[int, ScoreExplanation] = {}
    stds: dict[int, float] = {}
    settled: set[int] = set()
    submission_of: dict[int, int] = {}
    for work in graded:
        explanation = from_stored(work.stored_explanation)
        if explanation is None:
            continue
        author = work.person_id
        explanations[author] = explanation
        stds[author] = work.std or 0.0
        submission_of[author] = work.submission_id
        if work.overridden:
            settled.add(author)
    scale = (0.0, float(assignment.points_possible))
    # Explanations are kept by author, so each "submission" here is its author's person id.
    found = reviewer_warnings(judged_reviews(explanations, scale=scale), {author: author for author in explanations},
                              scale_width=scale[1])
    dismissed = dismissals(session, assignment.id)
    warnings = found.open(dismissed.keys())
    # A dismissed warning no longer makes its reviewer's other work count double (assessment.warning_dismissals).
    ranked = [p for p in grading_priorities(explanations, stds, warned=warnings.reviewers)
              if p.submission not in settled]
    count = min(MAX_SUGGESTED, math.ceil(STAFF_SHARE * len(ranked)))
    known = dict(names or {})
    wanted = set(found.reviewers) | {p.submission for p in ranked[:count]}
    missing = wanted - known.keys()
    if missing:  # people no longer enrolled as students
        known.update((person.id, person.display_name)
                     for person in session.scalars(select(Person).where(Person.id.in_(missing))))
    suggestions = [Suggestion(p.submission, known.get(p.submission, ""), submission_of[p.submission], math.sqrt(p.own),
                              p.informs)
                   for p in ranked[:count]]
    return GradingAdvice(warnings, known, suggestions, found.dismissed(dismissed.keys()), dismissed)
