"""Individual grades in team work: teammates' ratings move each member's part of the team's grade, staff override a
member's factor, and the individual grade is what the gradebook receives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update

from assessment.contribution import FactorPolicy, FixedFactor, Penalty
from assessment.errors import InvalidInput, PhaseClosed
from assessment.grading_run import release_grades, run_grading
from assessment.messages import message_from_document
from assessment.models import (
    Assignment,
    ContributionOverride,
    Enrollment,
    Grade,
    GradePosting,
    StoredAdvice,
    SubmissionVersion,
    TeammateRating,
)
from assessment.peer_review import ReviewerContext, ReviewInput, request_review, save_review
from assessment.phases import Phase
from assessment.services import HandIn, SubmissionDeps, submit
from assessment.storage import LocalDirectoryStorage
from assessment.team_grades import override_factor, team_ratings
from assessment.team_overview import team_grades
from assessment.team_work import current_teams, make_teams, teams_overview
from assessment.teammate_evaluation import RatingCriterion, TeammateEvaluation
from tests.integration.test_team_work import _phase, _team_class
from tests.support.cohort import VALID_SELECTIONS

NOW = datetime.now(UTC)
ONE_CRITERION = (RatingCriterion("contribution", "Contribution"),)


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _graded_teams(session, deps, *, evaluation: TeammateEvaluation | None, sizes=(3, 3), students=6):
    """Teams of `sizes` whose work was handed in late (a quarter off) and fully reviewed at the top of the rubric:
    every team's work earns 8 of the 8 points for work, less 2 for lateness, and each member 2 for reviewing."""
    cohort = _team_class(session, students)
    make_teams(session, cohort.assignment_id, sizes, cohort.student_ids[0], NOW, seed=1)
    session.commit()
    teams = [[person.id for person in row.members] for row in teams_overview(session, cohort.assignment_id).teams]
    for members in teams:
        submit(session, HandIn(cohort.assignment_id, members[0], text_html="<p>Our work</p>"), NOW, deps)
    session.execute(update(SubmissionVersion).values(is_late=True, late_penalty=0.25))
    # Teams of three review the one other team's work: one review each.
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(reviews_per_student=1))
    session.commit()
    _phase(session, cohort, Phase.REVIEW)
    for person in cohort.student_ids:
        review = request_review(session, ReviewerContext(cohort.assignment_id, person, True), NOW)
        save_review(session, review.id, person, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
        session.commit()
    _phase(session, cohort, Phase.GRADING)
    if evaluation is not None:
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                        .values(teammate_evaluation_document=evaluation.to_document()))
        session.commit()
    return cohort, teams


def _rate(session, cohort, team_members, rater, ratings: dict[int, int]) -> None:
    team = current_teams(session, cohort.assignment_id)[team_members[0]]
    for ratee, score in ratings.items():
        session.add(TeammateRating(assignment_id=cohort.assignment_id, team_id=team, rater_id=rater, ratee_id=ratee,
                                   scores={"contribution": score}, comment="because", submitted_at=NOW,
                                   updated_at=NOW))  # saved on the tests' clock, before grading runs
    session.commit()


def _free_rider(session, cohort, members) -> None:
    """Two members give each other 5 and the third 2; the third gives both 4."""
    a, b, c = members
    _rate(session, cohort, members, a, {b: 5, c: 2})
    _rate(session, cohort, members, b, {a: 5, c: 2})
    _rate(session, cohort, members, c, {a: 4, b: 4})


def _grades(session, cohort) -> dict[int, Grade]:
    session.expire_all()
    return {g.person_id: g for g in session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id))}


def test_without_teammate_evaluation_every_member_gets_the_teams_grade(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=None)

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    for members in teams:
        assert [grades[m].total for m in members] == [8.0, 8.0, 8.0]  # 8 for work, 2 off for lateness, 2 reviewing
        assert all(grades[m].contribution is None for m in members)


def test_a_free_riders_grade_follows_their_factor_and_the_gradebook_receives_each_individual_grade(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    a, b, c = teams[0]
    _free_rider(session, cohort, teams[0])

    run_grading(session, cohort.assignment_id, NOW)
    release_grades(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    # a: shares 10/7 from b and 1 from c, mean 17/14; c: 4/7 from both. The team's 6 points for work times that.
    assert grades[a].contribution["factor"] == pytest.approx(17 / 14)
    assert grades[c].contribution["factor"] == pytest.approx(4 / 7)
    assert [grades[m].contribution["points"] for m in teams[0]] == [7.29, 7.29, 3.43]
    assert [grades[m].total for m in teams[0]] == [9.29, 9.29, 5.43]
    # The other team rated nobody: factors of 1, and no penalty under the default rule.
    assert [grades[m].total for m in teams[1]] == [8.0, 8.0, 8.0]
    # The free rider's grade waits for staff; the ratings hold nobody else's.
    assert grades[c].attention == ["possible free rider"] and grades[a].attention == []
    postings = dict(session.execute(select(GradePosting.person_id, GradePosting.score_given)
                                    .where(GradePosting.assignment_id == cohort.assignment_id)).all())
    assert postings[a] == postings[b] == 9.29
    assert postings[c] is None  # held: PendingManual until staff settle it
    assert postings[teams[1][0]] == 8.0
    comment = session.scalar(select(GradePosting.comment).where(GradePosting.person_id == a))
    assert comment == "Peer assessment: 7.29 for your part of the team's work (after your teammates' ratings), " \
                      "2 for reviewing."


def test_the_policy_weight_cap_and_non_rater_rule_move_the_grade_as_set(session, deps):
    evaluation = TeammateEvaluation(criteria=ONE_CRITERION, policy=FactorPolicy(
        weight=0.5, cap=1.1, non_rater=Penalty(0.1)))
    cohort, teams = _graded_teams(session, deps, evaluation=evaluation)
    a, b, c = teams[0]
    _rate(session, cohort, teams[0], a, {b: 5, c: 2})
    _rate(session, cohort, teams[0], b, {a: 5, c: 2})  # c rates nobody

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    # a: 10/7 from b alone, capped at 1.1, half of it moves: 6 * 1.05 = 6.3. c: 4/7, half: 6 * 11/14, less 10%.
    assert grades[a].contribution["applied"] == pytest.approx(1.05)
    assert grades[a].total == 8.3
    assert grades[c].contribution["did_not_rate"] is True
    assert grades[c].contribution["points"] == round(6 * (1 + 0.5 * (4 / 7 - 1)) * 0.9, 2) == 4.24
    assert grades[c].total == 6.24


def test_a_fixed_factor_for_non_raters_and_counted_self_ratings(session, deps):
    evaluation = TeammateEvaluation(criteria=ONE_CRITERION, include_self=True,
                                    policy=FactorPolicy(non_rater=FixedFactor(0.5)))
    cohort, teams = _graded_teams(session, deps, evaluation=evaluation)
    a, b, c = teams[0]
    _rate(session, cohort, teams[0], a, {a: 4, b: 4, c: 4})
    _rate(session, cohort, teams[0], b, {a: 4, b: 4, c: 4})

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    assert [grades[m].contribution["factor"] for m in teams[0]] == [1.0, 1.0, 1.0]
    assert [grades[m].total for m in teams[0]] == [8.0, 8.0, 5.0]  # c: 6 * 0.5 + 2


def test_a_team_of_one_has_a_factor_of_1_and_no_non_rater_penalty(session, deps):
    evaluation = TeammateEvaluation(criteria=ONE_CRITERION, policy=FactorPolicy(non_rater=Penalty(0.5)))
    cohort, teams = _graded_teams(session, deps, evaluation=evaluation, sizes=(1, 1), students=3)

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    assert all(grades[m].contribution["factor"] == 1.0 and grades[m].total == 8.0 for [m] in teams)
    assert all(grades[m].contribution["did_not_rate"] is False for [m] in teams)


def test_a_member_who_left_the_course_is_left_out_and_their_ratings_set_aside(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    a, b, c = teams[0]
    _free_rider(session, cohort, teams[0])
    session.execute(delete(Enrollment).where(Enrollment.person_id == a))
    session.commit()

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    assert a not in grades
    # b rated c only (2 out of 2 rated: factor 1 each way); c rated b only: the two remaining are equal.
    assert grades[b].contribution["factor"] == grades[c].contribution["factor"] == 1.0
    assert grades[b].total == grades[c].total == 8.0
    found = team_ratings(session, session.get(Assignment, cohort.assignment_id),
                         TeammateEvaluation(criteria=ONE_CRITERION))
    team = current_teams(session, cohort.assignment_id)[b]
    assert found[team].members == (b, c)
    assert sorted((s.rater_id, s.ratee_id) for s in found[team].set_aside) == sorted([(a, b), (a, c), (b, a), (c, a)])
    # Staff still see the member in the team they left, with no factor.
    view = team_grades(session, session.get(Assignment, cohort.assignment_id))
    row = next(row for row in view.teams if row.team_id == team)
    assert {m.person.id: m.factor for m in row.members} == {a: None, b: 1.0, c: 1.0}


def test_a_stored_rating_off_the_scale_is_set_aside_rather_than_failing_the_run(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    a, b, c = teams[0]
    _rate(session, cohort, teams[0], a, {b: 9, c: 1})
    _rate(session, cohort, teams[0], b, {a: 4, c: 2})

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    # a's rating of b is left out: a rated c alone (a share of 1); b gave a 4/3 and c 2/3. b, rated by nobody
    # counted, keeps 1.
    assert [grades[m].contribution["factor"] for m in teams[0]] == pytest.approx([4 / 3, 1.0, 5 / 6])
    found = team_ratings(session, session.get(Assignment, cohort.assignment_id),
                         TeammateEvaluation(criteria=ONE_CRITERION))
    notes = found[current_teams(session, cohort.assignment_id)[a]].set_aside
    assert [(s.rater_id, s.ratee_id) for s in notes] == [(a, b)] and "not rated on every criterion" in notes[0].reason


def test_a_rating_of_someone_outside_the_team_is_ignored_with_a_note_for_staff(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    a, b, c = teams[0]
    outsider = teams[1][0]
    _rate(session, cohort, teams[0], a, {b: 4, c: 4, outsider: 1})

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = _grades(session, cohort)
    assert grades[outsider].contribution["factor"] == 1.0 and grades[outsider].total == 8.0
    assert [grades[m].contribution["factor"] for m in teams[0]] == [1.0, 1.0, 1.0]
    team = current_teams(session, cohort.assignment_id)[a]
    found = team_ratings(session, session.get(Assignment, cohort.assignment_id),
                         TeammateEvaluation(criteria=ONE_CRITERION))
    assert [(s.rater_id, s.ratee_id) for s in found[team].set_aside] == [(a, outsider)]
    assert "not both members of this team" in found[team].set_aside[0].reason


def test_staff_override_a_factor_with_a_reason_and_the_grade_and_its_hold_follow(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    a, _, c = teams[0]
    _free_rider(session, cohort, teams[0])
    run_grading(session, cohort.assignment_id, NOW)
    session.commit()
    assert session.scalar(select(StoredAdvice.computed_at).where(
        StoredAdvice.assignment_id == cohort.assignment_id)) == NOW

    later = datetime.now(UTC)
    override_factor(session, cohort.assignment_id, c, 0.9, "Was ill for a week; the log shows the rest", a, later)
    session.commit()

    grade = _grades(session, cohort)[c]
    assert grade.contribution["overridden"] is True and grade.contribution["applied"] == 0.9
    assert grade.total == 7.4  # 6 * 0.9 + 2
    assert grade.attention == [] and not grade.held
    explanation = [str(message_from_document(line)) for line in grade.contribution["explanation"]]
    assert "Staff set your factor to 0.9: Was ill for a week; the log shows the rest" in explanation
    # The stored advice is worked out again with the new grade.
    assert session.scalar(select(StoredAdvice.computed_at).where(
        StoredAdvice.assignment_id == cohort.assignment_id)) == later
    # A new run keeps the override.
    run_grading(session, cohort.assignment_id, later)
    session.commit()
    assert _grades(session, cohort)[c].total == 7.4

    override_factor(session, cohort.assignment_id, c, None, "", a, later)
    session.commit()

    grade = _grades(session, cohort)[c]
    assert grade.total == 5.43 and grade.attention == ["possible free rider"]
    assert session.scalars(select(ContributionOverride)).all() == []


@pytest.mark.parametrize("factor, reason, field", [
    (0.9, "  ", "reason"), (-0.1, "why", "factor"), (3.01, "why", "factor"), (float("nan"), "why", "factor"),
])
def test_an_override_out_of_range_or_without_a_reason_is_refused(session, deps, factor, reason, field):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    with pytest.raises(InvalidInput) as refused:
        override_factor(session, cohort.assignment_id, teams[0][0], factor, reason, teams[0][1], NOW)

    assert field in refused.value.problems
    session.rollback()
    assert session.scalars(select(ContributionOverride)).all() == []


def test_the_limits_of_an_override_are_accepted(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    run_grading(session, cohort.assignment_id, NOW)
    session.commit()
    a, b, _ = teams[0]

    override_factor(session, cohort.assignment_id, a, 0.0, "Did none of it", b, NOW)
    override_factor(session, cohort.assignment_id, b, 3.0, "Did all of it", a, NOW)
    session.commit()

    grades = _grades(session, cohort)
    assert grades[a].total == 2.0 and grades[b].total == 10.0  # 6 * 3 is cut to the 8 points for work


def test_an_override_in_setup_is_refused_with_the_reason(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=TeammateEvaluation(criteria=ONE_CRITERION))
    run_grading(session, cohort.assignment_id, NOW)
    _phase(session, cohort, Phase.SETUP)

    with pytest.raises(PhaseClosed):
        override_factor(session, cohort.assignment_id, teams[0][0], 1.0, "why", teams[0][1], NOW)
