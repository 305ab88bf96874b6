"""Team assignments: teams made and changed with their history, one submission per team, reviews between teams only,
and each member graded on their team's work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from assessment.errors import InvalidInput, NothingToReview, PhaseClosed, SettingsLocked
from assessment.grading_run import release_grades, run_grading
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    Grade,
    GradePosting,
    Person,
    Review,
    ReviewKind,
    Submission,
    SubmissionVersion,
    Team,
    TeamMembership,
)
from assessment.peer_review import (
    ReviewerContext,
    ReviewInput,
    allocate_statically,
    assign_reviewer,
    received_reviews,
    request_review,
    save_review,
)
from assessment.phases import Phase
from assessment.services import HandIn, SubmissionDeps, own_submission, submit, update_settings
from assessment.storage import LocalDirectoryStorage
from assessment.team_work import (
    current_members,
    current_teams,
    import_teams,
    make_teams,
    move_student,
    teams_overview,
)
from tests.support.cohort import VALID_SELECTIONS, create_cohort

NOW = datetime.now(UTC)


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _team_class(session, students: int = 6):
    """A course of `students` with a team assignment open for submissions and nothing handed in yet."""
    cohort = create_cohort(session, students, reviews_per_submission=2, reviews_per_student=2, now=NOW)
    session.execute(delete(SubmissionVersion).where(SubmissionVersion.submission_id.in_(cohort.submission_ids)))
    session.execute(delete(Submission).where(Submission.assignment_id == cohort.assignment_id))
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        team_assignment=True, phase_override=Phase.SUBMISSION, submission_opens=NOW - timedelta(days=1),
        submission_due=NOW + timedelta(days=1), review_opens=NOW + timedelta(days=2)))
    session.commit()
    return cohort


def _teams_of_two(session, cohort) -> list[list[int]]:
    make_teams(session, cohort.assignment_id, (2, 2), cohort.student_ids[0], NOW, seed=1)
    session.commit()
    overview = teams_overview(session, cohort.assignment_id)
    return [[person.id for person in row.members] for row in overview.teams]


def _hand_in(session, cohort, person, deps, text="<p>Our work</p>", now=NOW):
    version = submit(session, HandIn(cohort.assignment_id, person, text_html=text), now, deps)
    session.commit()
    return version


def _phase(session, cohort, phase: Phase) -> None:
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(phase_override=phase))
    session.commit()


def test_the_tool_places_every_student_in_one_team_with_an_anonymous_code_and_a_record(session):
    cohort = _team_class(session, 7)
    staff = cohort.student_ids[0]  # who made them is recorded as given

    teams = make_teams(session, cohort.assignment_id, (3, 4), staff, NOW, seed=3)
    session.commit()

    overview = teams_overview(session, cohort.assignment_id)
    assert sorted(len(row.members) for row in overview.teams) == [3, 4]
    assert sorted(p.id for row in overview.teams for p in row.members) == sorted(cohort.student_ids)
    assert overview.unplaced == []
    assert [team.name for team in teams] == ["Team 1", "Team 2"]
    assert all(len(team.code) == 4 for team in teams) and teams[0].code != teams[1].code
    assert {(m.changed_by_id, m.until) for m in overview.history} == {(staff, None)}


def test_any_member_hands_in_and_every_member_sees_the_one_team_submission_and_its_versions(session, deps):
    cohort = _team_class(session)
    first, second = _teams_of_two(session, cohort)[0]

    _hand_in(session, cohort, first, deps, "<p>Draft</p>")
    _hand_in(session, cohort, second, deps, "<p>Final</p>")

    mine = own_submission(session, cohort.assignment_id, first)
    theirs = own_submission(session, cohort.assignment_id, second)
    assert mine is not None and mine is theirs
    assert [(v.number, v.text_html, v.handed_in_by_id) for v in mine.versions] == [
        (1, "<p>Draft</p>", first), (2, "<p>Final</p>", second)]
    assert session.scalar(select(func.count()).select_from(Submission)
                          .where(Submission.assignment_id == cohort.assignment_id)) == 1
    team = session.get(Team, mine.team_id)
    assert mine.pseudonym == team.code  # reviewers know the work by the team's code, not by who handed it in


def test_a_student_in_no_team_cannot_hand_in_and_is_told_why(session, deps):
    cohort = _team_class(session)

    with pytest.raises(Exception) as refusal:
        _hand_in(session, cohort, cohort.student_ids[0], deps)

    assert "not in a team yet" in str(refusal.value)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_late_policy_applies_to_the_team_whichever_member_hands_in(session, deps):
    cohort = _team_class(session)
    first, second = _teams_of_two(session, cohort)[0]
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        submission_due=NOW - timedelta(days=2), accept_late=True, late_until=NOW + timedelta(days=1),
        late_penalty_per_day=10.0))
    session.commit()

    version = _hand_in(session, cohort, second, deps)

    assert version.is_late and version.late_penalty == pytest.approx(0.2)
    assert own_submission(session, cohort.assignment_id, first).latest.is_late


def test_a_move_keeps_the_history_with_who_and_when(session):
    cohort = _team_class(session)
    teams = _teams_of_two(session, cohort)
    team_ids = [row.team.id for row in teams_overview(session, cohort.assignment_id).teams]
    mover, staff, later = teams[0][0], cohort.student_ids[5], NOW + timedelta(minutes=5)

    move_student(session, cohort.assignment_id, mover, team_ids[1], staff, later)
    session.commit()

    history = session.scalars(select(TeamMembership).where(TeamMembership.person_id == mover)
                              .order_by(TeamMembership.id)).all()
    assert [(m.team_id, m.until, m.ended_by_id, m.changed_by_id) for m in history] == [
        (team_ids[0], later, staff, cohort.student_ids[0]), (team_ids[1], None, None, staff)]
    assert current_teams(session, cohort.assignment_id)[mover] == team_ids[1]


def test_moving_the_member_who_first_handed_in_leaves_the_work_with_the_team(session, deps):
    cohort = _team_class(session)
    teams = _teams_of_two(session, cohort)
    team_ids = [row.team.id for row in teams_overview(session, cohort.assignment_id).teams]
    author, stays = teams[0]
    _hand_in(session, cohort, author, deps)

    move_student(session, cohort.assignment_id, author, team_ids[1], cohort.student_ids[0], NOW)
    session.commit()

    work = own_submission(session, cohort.assignment_id, stays)
    assert work is not None and work.author_id == stays and work.team_id == team_ids[0]
    assert own_submission(session, cohort.assignment_id, author) is None  # their new team has handed in nothing
    with pytest.raises(InvalidInput, match="last member of a team that handed in work"):
        move_student(session, cohort.assignment_id, stays, team_ids[2], cohort.student_ids[0], NOW)


def test_teams_cannot_change_once_submissions_close_or_reviews_began(session, deps):
    cohort = _team_class(session)
    teams = _teams_of_two(session, cohort)
    team_ids = [row.team.id for row in teams_overview(session, cohort.assignment_id).teams]
    _phase(session, cohort, Phase.CALIBRATION)

    with pytest.raises(PhaseClosed, match="Submissions are closed"):
        move_student(session, cohort.assignment_id, teams[0][0], team_ids[1], cohort.student_ids[0], NOW)
    session.rollback()

    _phase(session, cohort, Phase.SUBMISSION)
    _hand_in(session, cohort, teams[0][0], deps)
    _hand_in(session, cohort, teams[1][0], deps)
    _phase(session, cohort, Phase.REVIEW)
    request_review(session, ReviewerContext(cohort.assignment_id, teams[1][0], True), NOW)
    session.commit()
    _phase(session, cohort, Phase.SUBMISSION)  # moved back by hand: the reviews handed out still hold the teams

    with pytest.raises(PhaseClosed, match="Reviews have already been handed out"):
        move_student(session, cohort.assignment_id, teams[0][0], team_ids[1], cohort.student_ids[0], NOW)


def test_teams_are_made_again_only_before_any_team_handed_in(session, deps):
    cohort = _team_class(session)
    teams = _teams_of_two(session, cohort)
    _hand_in(session, cohort, teams[0][0], deps)

    with pytest.raises(PhaseClosed, match="already handed in work"):
        make_teams(session, cohort.assignment_id, (3, 3), cohort.student_ids[0], NOW, seed=2)
    session.rollback()
    assert len(teams_overview(session, cohort.assignment_id).teams) == 3


def test_a_csv_of_teams_is_checked_against_the_roster_line_by_line(session):
    cohort = _team_class(session, 4)
    ids = cohort.student_ids
    # Cohort students are known by their LMS user id: student-0 ... student-3.
    bad = "team,student\nA,student-0\nA,student-9\nB,student-0\nC,student-2\n"

    with pytest.raises(InvalidInput) as refusal:
        import_teams(session, cohort.assignment_id, bad, ids[0], NOW)
    session.rollback()

    assert refusal.value.problems == {
        "line 3": "Line 3: no student student-9 in this course.",
        "line 4": "Line 4: student-0 is already in team A (line 2); a student is in one team only.",
        "team C": "Team C (line 5) has only one member; a team needs at least two.",
    }
    assert teams_overview(session, cohort.assignment_id).teams == []

    teams = import_teams(session, cohort.assignment_id, "team,student\nA,student-0\nA,STUDENT-1\nB,student-2\n"
                         "B,student-3\n", ids[0], NOW)
    session.commit()
    assert [t.name for t in teams] == ["A", "B"]
    assert current_teams(session, cohort.assignment_id) == {ids[0]: teams[0].id, ids[1]: teams[0].id,
                                                            ids[2]: teams[1].id, ids[3]: teams[1].id}



def test_a_teams_current_members_are_its_students_now_by_name_without_movers_or_those_who_left_the_course(session):
    cohort = _team_class(session)
    teams = _teams_of_two(session, cohort)
    team_ids = [row.team.id for row in teams_overview(session, cohort.assignment_id).teams]
    mover, leaver = teams[0][0], teams[1][0]
    move_student(session, cohort.assignment_id, mover, team_ids[2], cohort.student_ids[0], NOW)
    session.execute(update(Enrollment).where(Enrollment.person_id == leaver).values(role=CourseRole.STAFF))
    session.commit()
    assignment = session.get(Assignment, cohort.assignment_id)

    members = {team: [person.id for person in people] for team, people in current_members(session, assignment).items()}

    assert members == {team_ids[0]: [teams[0][1]], team_ids[1]: [teams[1][1]],
                       team_ids[2]: sorted([*teams[2], mover], key=lambda person: session.get(Person, person).name)}
    assert current_members(session, assignment, team_ids[1]) == {team_ids[1]: [session.get(Person, teams[1][1])]}

def _class_in_review(session, deps, students=6):
    cohort = _team_class(session, students)
    teams = _teams_of_two(session, cohort)
    for members in teams:
        _hand_in(session, cohort, members[0], deps)
    _phase(session, cohort, Phase.REVIEW)
    return cohort, teams


def test_the_queue_never_hands_a_student_their_own_teams_work(session, deps):
    cohort, teams = _class_in_review(session, deps)
    team_of = {person: index for index, members in enumerate(teams) for person in members}
    served = []
    for person in cohort.student_ids:
        for _ in range(2):
            review = request_review(session, ReviewerContext(cohort.assignment_id, person, True), NOW)
            save_review(session, review.id, person, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
            session.commit()
            served.append((person, session.get(Submission, review.submission_id).author_id))
        with pytest.raises(NothingToReview):
            request_review(session, ReviewerContext(cohort.assignment_id, person, True), NOW)
    assert len(served) == 12
    assert all(team_of[reviewer] != team_of[author] for reviewer, author in served)


def test_a_member_who_did_not_hand_in_still_reviews_as_their_team_did(session, deps):
    cohort, teams = _class_in_review(session, deps)
    non_author = teams[0][1]

    review = request_review(session, ReviewerContext(cohort.assignment_id, non_author, True), NOW)

    work = session.get(Submission, review.submission_id)
    assert work.team_id is not None and work.author_id not in teams[0]


def test_static_allocation_gives_every_member_reviews_of_other_teams_only(session, deps):
    cohort, teams = _class_in_review(session, deps)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(allocation_mode="static"))
    session.commit()
    team_of = {person: index for index, members in enumerate(teams) for person in members}

    count = allocate_statically(session, cohort.assignment_id, NOW, seed=4)
    session.commit()

    pairs = session.execute(select(Review.reviewer_id, Submission.author_id).join(Submission)
                            .where(Review.assignment_id == cohort.assignment_id)).all()
    assert count == 3 * 2 and len(pairs) == 6
    assert all(team_of[reviewer] != team_of[author] for reviewer, author in pairs)
    assert {reviewer for reviewer, _ in pairs} <= set(cohort.student_ids)


def test_staff_cannot_add_a_teammate_as_reviewer(session, deps):
    cohort, teams = _class_in_review(session, deps)
    work = own_submission(session, cohort.assignment_id, teams[0][0])

    with pytest.raises(InvalidInput, match="own team's work"):
        assign_reviewer(session, cohort.assignment_id, work.id, teams[0][1], NOW)


def test_every_member_is_graded_on_the_teams_work_and_each_grade_goes_to_the_outbox(session, deps):
    cohort, teams = _class_in_review(session, deps)
    for person in cohort.student_ids:
        for _ in range(2):
            review = request_review(session, ReviewerContext(cohort.assignment_id, person, True), NOW)
            save_review(session, review.id, person, ReviewInput(VALID_SELECTIONS, {}, submit=True), NOW)
            session.commit()
    _phase(session, cohort, Phase.GRADING)

    run_grading(session, cohort.assignment_id, NOW)
    release_grades(session, cohort.assignment_id, NOW)
    session.commit()

    grades = {g.person_id: g for g in session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id))}
    for first, second in teams:
        assert grades[first].submission_score == grades[second].submission_score == pytest.approx(10.0)
        assert grades[first].total == grades[second].total
        assert grades[first].reviews_received == grades[second].reviews_received == 4  # 12 reviews, 3 teams
    postings = session.scalars(select(GradePosting.person_id).where(GradePosting.assignment_id == cohort.assignment_id))
    assert sorted(postings) == sorted(cohort.student_ids)
    later = NOW + timedelta(seconds=1)
    for members in teams:
        assert len(received_reviews(session, cohort.assignment_id, members[1], later)) == 4


def test_the_team_setting_is_locked_once_work_is_handed_in(session, deps):
    cohort = _team_class(session)
    _hand_in(session, cohort, _teams_of_two(session, cohort)[0][0], deps)
    assignment = session.get(Assignment, cohort.assignment_id)

    from dataclasses import replace
    with pytest.raises(SettingsLocked) as refusal:
        update_settings(session, cohort.assignment_id, replace(assignment.settings, team_assignment=False), NOW)

    assert set(refusal.value.problems) == {"team_assignment"}


def test_reviews_of_a_teams_work_count_once_however_many_members_hand_in(session, deps):
    cohort = _team_class(session)
    first, second = _teams_of_two(session, cohort)[0]
    _hand_in(session, cohort, first, deps)
    _hand_in(session, cohort, second, deps)

    assert session.scalar(select(func.count()).select_from(Review).where(Review.kind == ReviewKind.PEER)) == 0
    assert session.scalar(select(func.count()).select_from(SubmissionVersion).join(Submission)
                          .where(Submission.assignment_id == cohort.assignment_id)) == 2
