"""One review per team: the queue and allocation serve teams, any member writes the team's review, saves are
recorded by member, and every member gets the team's reviewing points."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from assessment.errors import NotFound, NothingToReview, PhaseClosed, SettingsLocked
from assessment.grading_advice import grading_advice
from assessment.grading_run import run_grading
from assessment.models import (
    Assignment,
    Enrollment,
    Extension,
    Grade,
    Review,
    ReviewStatus,
    Submission,
    SubmissionVersion,
)
from assessment.peer_review import (
    ReviewChanged,
    ReviewerContext,
    ReviewInput,
    allocate_statically,
    allocation_table,
    my_peer_reviews,
    request_bonus_review,
    request_review,
    review_for,
    save_review,
    why_review_is_closed,
)
from assessment.personal_dates import Step
from assessment.phases import Phase
from assessment.progress import student_rows
from assessment.review_coverage import coverage_report
from assessment.reviewer_warnings import RECIPROCAL
from assessment.services import HandIn, SubmissionDeps, submit, update_settings
from assessment.storage import LocalDirectoryStorage
from assessment.team_reviews import saves_of
from assessment.team_work import make_teams, teams_overview
from assessment.warning_dismissals import WarningChoice, dismiss_warning
from tests.support.cohort import CRITERION, VALID_SELECTIONS, create_cohort

NOW = datetime.now(UTC)


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _class_in_review(session, deps, students: int = 6, per_team: int = 2):
    """Teams of two, each with its work handed in, reviewing one review per team, in the review phase."""
    cohort = create_cohort(session, students, reviews_per_submission=2, reviews_per_student=2, now=NOW)
    session.execute(delete(SubmissionVersion).where(SubmissionVersion.submission_id.in_(cohort.submission_ids)))
    session.execute(delete(Submission).where(Submission.assignment_id == cohort.assignment_id))
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        team_assignment=True, reviews_by_team=True, reviews_per_student=per_team, phase_override=Phase.SUBMISSION,
        submission_opens=NOW - timedelta(days=1), submission_due=NOW + timedelta(days=1),
        review_opens=NOW + timedelta(days=2)))
    session.commit()
    make_teams(session, cohort.assignment_id, (2, 2), cohort.student_ids[0], NOW, seed=1)
    session.commit()
    teams = [[person.id for person in row.members] for row in teams_overview(session, cohort.assignment_id).teams]
    for members in teams:
        submit(session, HandIn(cohort.assignment_id, members[0], text_html="<p>Our work</p>"), NOW, deps)
        session.commit()
    _phase(session, cohort.assignment_id, Phase.REVIEW)
    return cohort, teams


def _phase(session, assignment_id: int, phase: Phase) -> None:
    session.execute(update(Assignment).where(Assignment.id == assignment_id).values(phase_override=phase))
    session.commit()


def _ask(session, assignment_id: int, person: int):
    handed = request_review(session, ReviewerContext(assignment_id, person, True), NOW)
    session.commit()
    return handed


def test_a_member_claims_the_teams_review_and_a_teammate_is_served_the_same_one(session, deps):
    cohort, teams = _class_in_review(session, deps)
    first, second = teams[0]

    claimed = _ask(session, cohort.assignment_id, first)
    continued = _ask(session, cohort.assignment_id, second)

    assert continued == claimed
    review = session.get(Review, claimed.id)
    assert review.reviewer_id == first and review.reviewing_team_id is not None
    assert session.get(Submission, review.submission_id).team_id != review.reviewing_team_id
    assert [r.id for r in my_peer_reviews(session, cohort.assignment_id, second)] == [claimed.id]


def test_a_teammate_continues_the_draft_and_every_save_is_recorded_with_its_member(session, deps):
    cohort, teams = _class_in_review(session, deps)
    first, second = teams[0]
    claimed = _ask(session, cohort.assignment_id, first)
    loaded = session.get(Review, claimed.id).version
    save_review(session, claimed.id, first, ReviewInput({CRITERION: 0.0}, {}, submit=False, version=loaded), NOW)
    session.commit()
    version = session.get(Review, claimed.id).version

    assert session.get(Review, claimed.id).selections == {CRITERION: 0.0}  # the teammate opens the team's draft
    save_review(session, claimed.id, second, ReviewInput(VALID_SELECTIONS, {}, submit=True, version=version), NOW)
    session.commit()

    review = session.get(Review, claimed.id)
    assert review.status is ReviewStatus.SUBMITTED and review.selections == VALID_SELECTIONS
    saves = saves_of(session, cohort.assignment_id)[claimed.id]
    assert [(save.person_id, save.version, save.submitted) for save in saves] == [
        (first, version, False), (second, version + 1, True)]


def test_a_save_from_a_form_loaded_before_a_teammates_save_is_refused_and_names_the_teammate(session, deps):
    cohort, teams = _class_in_review(session, deps)
    first, second = teams[0]
    claimed = _ask(session, cohort.assignment_id, first)
    loaded = session.get(Review, claimed.id).version
    save_review(session, claimed.id, first, ReviewInput({CRITERION: 0.0}, {}, submit=False, version=loaded), NOW)
    session.commit()

    with pytest.raises(ReviewChanged, match="saved by a teammate"):
        save_review(session, claimed.id, second, ReviewInput({CRITERION: 2.0}, {}, submit=False, version=loaded), NOW)
    session.rollback()

    assert session.get(Review, claimed.id).selections == {CRITERION: 0.0}
    assert len(saves_of(session, cohort.assignment_id)[claimed.id]) == 1


def test_a_student_outside_the_team_can_neither_open_nor_save_its_review(session, deps):
    cohort, teams = _class_in_review(session, deps)
    claimed = _ask(session, cohort.assignment_id, teams[0][0])
    outsider = teams[1][0]

    with pytest.raises(NotFound):
        review_for(session, claimed.id, outsider)
    with pytest.raises(NotFound):
        save_review(session, claimed.id, outsider, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)


def test_each_team_owes_k_reviews_never_of_its_own_work_and_each_work_gets_k(session, deps):
    cohort, teams = _class_in_review(session, deps)
    team_work = {members[0]: index for index, members in enumerate(teams)}
    for index, members in enumerate(teams):
        for turn in range(2):
            member = members[turn]  # the two members take one review each for the team
            handed = _ask(session, cohort.assignment_id, member)
            save_review(session, handed.id, member, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
            session.commit()
            assert team_work[session.get(Submission, handed.submission_id).author_id] != index
        for member in members:
            with pytest.raises(NothingToReview):
                request_review(session, ReviewerContext(cohort.assignment_id, member, True), NOW)
            session.rollback()

    loads = session.execute(select(Submission.review_load).where(Submission.assignment_id == cohort.assignment_id))
    assert sorted(load for (load,) in loads) == [2, 2, 2]
    assert session.scalar(select(func.count()).select_from(Review)
                          .where(Review.assignment_id == cohort.assignment_id)) == 6


def test_every_member_gets_the_teams_reviewing_points_whoever_wrote_its_reviews(session, deps):
    cohort, teams = _class_in_review(session, deps)
    for members in teams:
        for _ in range(2):  # the first member writes both of the team's reviews
            handed = _ask(session, cohort.assignment_id, members[0])
            save_review(session, handed.id, members[0], ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
            session.commit()
    _phase(session, cohort.assignment_id, Phase.GRADING)

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = {g.person_id: g for g in session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id))}
    for writer, teammate in teams:
        # Every review agrees with the consensus: the full reviewing part, 20% of 10 points, for both members.
        assert grades[writer].reviewing_points == grades[teammate].reviewing_points == pytest.approx(2.0)
        assert grades[writer].total == grades[teammate].total == pytest.approx(10.0)


def test_a_team_that_did_not_review_gets_no_reviewing_points_for_any_member(session, deps):
    cohort, teams = _class_in_review(session, deps)
    for members in teams[1:]:
        for _ in range(2):
            handed = _ask(session, cohort.assignment_id, members[1])
            save_review(session, handed.id, members[1], ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
            session.commit()
    _phase(session, cohort.assignment_id, Phase.GRADING)

    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    grades = {g.person_id: g for g in session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id))}
    assert [grades[member].reviewing_points for member in teams[0]] == [0.0, 0.0]
    assert all(grades[member].reviewing_points == pytest.approx(2.0) for members in teams[1:] for member in members)


def test_writing_the_teams_review_is_refused_once_reviewing_closed(session, deps):
    cohort, teams = _class_in_review(session, deps)
    claimed = _ask(session, cohort.assignment_id, teams[0][0])
    _phase(session, cohort.assignment_id, Phase.GRADING)

    with pytest.raises(PhaseClosed):
        save_review(session, claimed.id, teams[0][1], ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)


def test_static_allocation_hands_each_team_k_reviews_of_other_teams(session, deps):
    cohort, teams = _class_in_review(session, deps)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(allocation_mode="static"))
    session.commit()
    team_of = {person: index for index, members in enumerate(teams) for person in members}

    count = allocate_statically(session, cohort.assignment_id, NOW, seed=4)
    session.commit()

    rows = session.execute(select(Review.reviewing_team_id, Review.reviewer_id, Submission.author_id, Submission.team_id)
                           .join(Submission).where(Review.assignment_id == cohort.assignment_id)).all()
    assert count == 6 and len(rows) == 6
    assert all(reviewing != team and team_of[reviewer] != team_of[author] for reviewing, reviewer, author, team in rows)
    assert sorted(sum(1 for row in rows if row[0] == team) for team in {row[0] for row in rows}) == [2, 2, 2]
    # The second member, who was not recorded on the review, opens it as the team's.
    second = teams[0][1]
    assert len(my_peer_reviews(session, cohort.assignment_id, second)) == 2


def test_extra_reviews_are_not_offered_when_teams_review_as_one(session, deps):
    cohort, teams = _class_in_review(session, deps)

    with pytest.raises(NothingToReview, match="each team writes one review"):
        request_bonus_review(session, ReviewerContext(cohort.assignment_id, teams[0][0], True), NOW)


def test_the_choice_is_refused_with_its_reason_once_reviewing_has_started(session, deps):
    cohort, teams = _class_in_review(session, deps)
    _phase(session, cohort.assignment_id, Phase.SUBMISSION)
    assignment = session.get(Assignment, cohort.assignment_id)
    update_settings(session, cohort.assignment_id, replace(assignment.settings, reviews_by_team=False), NOW)
    session.commit()
    update_settings(session, cohort.assignment_id, replace(assignment.settings, reviews_by_team=True), NOW)
    session.commit()
    _ask_in_review = (_phase(session, cohort.assignment_id, Phase.REVIEW),
                      _ask(session, cohort.assignment_id, teams[0][0]))
    _phase(session, cohort.assignment_id, Phase.SUBMISSION)  # moved back by hand: the reviews handed out remain
    assert _ask_in_review[1] is not None

    with pytest.raises(SettingsLocked) as refusal:
        update_settings(session, cohort.assignment_id,
                        replace(session.get(Assignment, cohort.assignment_id).settings, reviews_by_team=False), NOW)

    assert set(refusal.value.problems) == {"reviews_by_team"}
    assert "Reviewing has started" in refusal.value.problems["reviews_by_team"]


def test_staff_progress_counts_the_teams_reviews_for_every_member(session, deps):
    cohort, teams = _class_in_review(session, deps)
    first, second = teams[0]
    handed = _ask(session, cohort.assignment_id, first)
    save_review(session, handed.id, first, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
    session.commit()
    _ask(session, cohort.assignment_id, second)  # the team's second review, open

    rows = {row.person_id: row for row in student_rows(session, session.get(Assignment, cohort.assignment_id), NOW)}

    assert (rows[first].reviews_done, rows[second].reviews_done) == (1, 1)
    assert all(rows[person].reviews_done == 0 for members in teams[1:] for person in members)


def _teams_a_day_into_a_month_of_reviewing(session, deps):
    """The class in review a day after reviewing opened, 29 days before it closes: the first team's members have
    written one of its two reviews each, the second team one, the third none."""
    cohort, teams = _class_in_review(session, deps)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        review_opens=NOW - timedelta(days=1), review_due=NOW + timedelta(days=29)))
    session.commit()
    for member in (*teams[0], teams[1][0]):
        handed = _ask(session, cohort.assignment_id, member)
        save_review(session, handed.id, member, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
        session.commit()
    return cohort, teams


def test_coverage_counts_what_each_team_still_owes_not_each_member(session, deps):
    cohort, _ = _teams_a_day_into_a_month_of_reviewing(session, deps)

    report = coverage_report(session, session.get(Assignment, cohort.assignment_id), NOW)

    # At 3 reviews a day for 29 days more the pace would give 87, but the teams owe 0 + 1 + 2 = 3 (their members, one
    # by one, would owe 1 + 1 + 1 + 2 + 2 + 2 = 9).
    assert report.expected == 3


def _class_after_its_review_deadline_with_an_extended_member(session, deps):
    """The class's reviewing closed an hour ago by the dates; the first member of the first team reviews until
    tomorrow, their teammate until the class's deadline. The extended member took the team's review in time."""
    cohort, teams = _class_in_review(session, deps)
    extended, teammate = teams[0]
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        phase_override=None, submission_opens=NOW - timedelta(days=4), submission_due=NOW - timedelta(days=3),
        review_opens=NOW - timedelta(days=3), review_due=NOW - timedelta(hours=1),
        results_release=NOW + timedelta(days=5)))
    session.add(Extension(assignment_id=cohort.assignment_id, person_id=extended, step=Step.REVIEW,
                          until=NOW + timedelta(days=1), from_lms=False, reason="Illness", granted_at=NOW))
    session.commit()
    claimed = request_review(session, ReviewerContext(cohort.assignment_id, extended, True), NOW - timedelta(hours=2))
    session.commit()
    return claimed, extended, teammate


def test_a_teammate_without_an_extension_cannot_write_the_teams_review_after_the_class_deadline(session, deps):
    claimed, extended, teammate = _class_after_its_review_deadline_with_an_extended_member(session, deps)

    with pytest.raises(PhaseClosed):
        save_review(session, claimed.id, teammate, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
    session.rollback()
    assert why_review_is_closed(session, session.get(Review, claimed.id), NOW, teammate) is not None

    save_review(session, claimed.id, extended, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
    session.commit()
    assert session.get(Review, claimed.id).status is ReviewStatus.SUBMITTED


def _teams_whose_reviewing_closed_an_hour_ago(session, deps):
    """Reviewing opened three days ago and closed an hour ago; the third team gave the first two teams' work one
    review each before the deadline, the other teams none. Returns the cohort, the teams and each team's work."""
    cohort, teams = _class_in_review(session, deps)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        phase_override=None, submission_opens=NOW - timedelta(days=4), submission_due=NOW - timedelta(days=3),
        review_opens=NOW - timedelta(days=3), review_due=NOW - timedelta(hours=1),
        results_release=NOW + timedelta(days=40)))
    session.commit()
    for _ in range(2):
        handed = request_review(session, ReviewerContext(cohort.assignment_id, teams[2][0], True),
                                NOW - timedelta(hours=2))
        save_review(session, handed.id, teams[2][0], ReviewInput(VALID_SELECTIONS, {}, submit=True),
                    NOW - timedelta(hours=2))
        session.commit()
    work = dict(session.execute(select(Submission.team_id, Submission.id)
                                .where(Submission.assignment_id == cohort.assignment_id)).all())
    team_ids = [session.scalar(select(Submission.team_id).where(Submission.assignment_id == cohort.assignment_id,
                                                                Submission.author_id.in_(members)))
                for members in teams]
    return cohort, teams, [work[team] for team in team_ids]


def _extend(session, assignment_id: int, person: int, days: int) -> None:
    session.add(Extension(assignment_id=assignment_id, person_id=person, step=Step.REVIEW,
                          until=NOW + timedelta(days=days), from_lms=False, reason="Illness", granted_at=NOW))
    session.commit()


def test_coverage_projects_a_team_at_the_extension_of_a_member_who_is_not_its_first(session, deps):
    cohort, teams, works = _teams_whose_reviewing_closed_an_hour_ago(session, deps)
    second_team_author = session.scalar(select(Submission.author_id).where(Submission.id == works[1]))
    _extend(session, cohort.assignment_id, second_team_author, 20)  # the second team's work stays open 20 days
    _extend(session, cohort.assignment_id, max(teams[0]), 30)  # the first team's member with the higher id

    report = coverage_report(session, session.get(Assignment, cohort.assignment_id), NOW)

    # 2 reviews in 72 hours by 3 teams: 0.0093 an hour a team; in the 20 days (480 hours) the second team's work stays
    # open the first team, through its extended member, gives 4 at that pace, capped at the 2 it owes: that work (1
    # review) reaches k = 2. The second team never reviews its own work.
    by_work = {work.submission_id: work.projected for work in report.works}
    assert by_work[works[1]] == 2
    assert [work.submission_id for work in report.still_open] == [works[1]]


def test_coverage_counts_nothing_owed_by_a_team_whose_members_all_left_the_course(session, deps):
    cohort, teams = _teams_a_day_into_a_month_of_reviewing(session, deps)
    # The third team's members leave the course (their memberships stay, as the roster leaves them).
    session.execute(delete(Enrollment).where(Enrollment.person_id.in_(teams[2])))
    session.execute(delete(Enrollment).where(Enrollment.person_id == teams[1][0]))  # the second team keeps one
    session.commit()

    report = coverage_report(session, session.get(Assignment, cohort.assignment_id), NOW)

    # The teams owe 0 + 1 (the second team, through the member who stayed); the third team, 2, no longer.
    assert report.expected == 1


def _static(session, assignment_id: int) -> None:
    session.execute(update(Assignment).where(Assignment.id == assignment_id).values(allocation_mode="static"))
    session.commit()


def test_static_allocation_records_a_teams_reviews_under_a_member_still_in_the_course(session, deps):
    cohort, teams = _class_in_review(session, deps)
    _static(session, cohort.assignment_id)
    gone, stays = min(teams[0]), max(teams[0])  # the team's first member leaves the course
    session.execute(delete(Enrollment).where(Enrollment.person_id == gone))
    session.commit()

    allocate_statically(session, cohort.assignment_id, NOW, seed=4)
    session.commit()

    team = session.scalar(select(Submission.team_id).where(Submission.author_id.in_(teams[0])))
    ours = session.scalars(select(Review).where(Review.reviewing_team_id == team)).all()
    assert len(ours) == 2 and {review.reviewer_id for review in ours} == {stays}
    # The staff table names the member still there; the team's home lists its reviews for them.
    table = {review.id: review.reviewer_id for row in allocation_table(session, cohort.assignment_id)
             for review in row.reviews}
    assert {table[review.id] for review in ours} == {stays}
    assert {review.id for review in my_peer_reviews(session, cohort.assignment_id, stays)} == {r.id for r in ours}


def test_static_allocation_gives_no_reviews_to_a_team_whose_members_all_left_the_course(session, deps):
    cohort, teams = _class_in_review(session, deps, students=8)
    _static(session, cohort.assignment_id)
    session.execute(delete(Enrollment).where(Enrollment.person_id.in_(teams[0])))
    session.commit()

    count = allocate_statically(session, cohort.assignment_id, NOW, seed=4)
    session.commit()

    team = session.scalar(select(Submission.team_id).where(Submission.author_id.in_(teams[0])))
    assert session.scalars(select(Review).where(Review.reviewing_team_id == team)).all() == []
    assert count == 8  # its work is still reviewed: 4 works, k = 2, by the 3 teams that remain


def test_a_team_whose_reviews_were_split_between_its_members_is_warned_of_as_one_reviewer(session, deps):
    cohort, teams = _class_in_review(session, deps, students=8, per_team=3)
    # Four teams each review the three others' work; the first team gives full marks to all, the others none. Its
    # first member takes two of its reviews, the second one: neither alone reaches the 3 reviews a warning needs.
    takers = {0: [teams[0][0], teams[0][0], teams[0][1]]}
    first_reviews = []
    for turn in range(3):
        for index, members in enumerate(teams):
            member = takers.get(index, members)[turn % len(takers.get(index, members))]
            handed = _ask(session, cohort.assignment_id, member)
            score = 2.0 if index == 0 else 0.0
            save_review(session, handed.id, member, ReviewInput({CRITERION: score}, {}, submit=True), NOW)
            session.commit()
            if turn == 0 and index == 0:
                first_reviews.append(handed.id)
    _phase(session, cohort.assignment_id, Phase.GRADING)
    run_grading(session, cohort.assignment_id, NOW)
    session.commit()

    advice = grading_advice(session, session.get(Assignment, cohort.assignment_id))

    [warning] = advice.warnings.one_sided
    assert warning.lenient and warning.reviews == 3 and warning.same_side == 3
    # Shown as the team, with its members (staff may see names); stored under the member who took its first review.
    assert warning.reviewer == session.get(Review, first_reviews[0]).reviewer_id
    team = teams_overview(session, cohort.assignment_id).teams[0]
    label = advice.name(warning.reviewer)
    assert label.startswith(f"{team.team.name} (") and all(person.display_name in label for person in team.members)


def test_two_teams_that_gave_each_other_high_marks_are_one_reciprocal_pair_staff_can_dismiss(session, deps):
    cohort, teams = _class_in_review(session, deps, students=8, per_team=3)
    team_ids = [session.scalar(select(Submission.team_id).where(Submission.author_id.in_(members)))
                for members in teams]
    # The first two teams' second members (not those who handed the work in) take all their team's reviews and give
    # full marks to the other team's work only; every other review gives none.
    friends = {team_ids[0]: team_ids[1], team_ids[1]: team_ids[0]}
    for _ in range(3):
        for index, members in enumerate(teams):
            member = members[1] if index < 2 else members[_ % 2]
            handed = _ask(session, cohort.assignment_id, member)
            reviewed = session.get(Submission, handed.submission_id).team_id
            score = 2.0 if friends.get(team_ids[index]) == reviewed else 0.0
            save_review(session, handed.id, member, ReviewInput({CRITERION: score}, {}, submit=True), NOW)
            session.commit()
    _phase(session, cohort.assignment_id, Phase.GRADING)
    run_grading(session, cohort.assignment_id, NOW)
    session.commit()
    assignment = session.get(Assignment, cohort.assignment_id)

    [clique] = grading_advice(session, assignment).warnings.reciprocal
    assert sorted(clique.members) == sorted([teams[0][1], teams[1][1]])  # each team, by the member standing for it
    assert all(exchange.score == 10 and exchange.consensus == 0 for exchange in clique.exchanges)

    dismiss_warning(session, cohort.assignment_id, WarningChoice(clique.members, RECIPROCAL), teams[2][0], NOW)
    session.commit()
    advice = grading_advice(session, assignment)
    assert len(advice.warnings.reciprocal) == 0 and len(advice.dismissed.reciprocal) == 1
