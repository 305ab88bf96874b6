"""Extensions honoured everywhere: an extended student hands in on time after the class deadline, is reviewed and
reviews until their own date, and is graded and released after the rest of the class, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from assessment.errors import InvalidInput, NothingToReview, PhaseClosed
from assessment.extensions import ExtensionRequest, grant_extension, import_extensions, withdraw_extension
from assessment.grading_run import release_grades, run_grading
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    Extension,
    FileCheck,
    FileCheckStatus,
    Grade,
    GradePosting,
    Person,
    Submission,
    SubmissionVersion,
    Team,
    TeamMembership,
)
from assessment.peer_review import ReviewerContext, ReviewInput, received_reviews, request_review, save_review
from assessment.personal_dates import Step
from assessment.services import HandIn, SubmissionDeps, submit
from assessment.storage import LocalDirectoryStorage
from assessment.student_dates import dates_of, has_extension, note_extension, waiting_students
from assessment.student_overview import student_overview
from tests.support.cohort import VALID_SELECTIONS, create_cohort
from tests.support.statements import statements_sent

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
MICRO = timedelta(microseconds=1)


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _class(session, *, accept_late: bool = False):
    """Six students in the review phase by the dates (submissions closed a day ago, reviews due tomorrow, results in
    five days); the last student has handed in nothing. Returns the cohort, the late student and a staff member."""
    cohort = create_cohort(session, 6, reviews_per_submission=2, reviews_per_student=2, now=NOW)
    late = cohort.student_ids[-1]
    session.execute(delete(SubmissionVersion).where(SubmissionVersion.submission_id == cohort.submission_ids[-1]))
    session.execute(delete(Submission).where(Submission.id == cohort.submission_ids[-1]))
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        phase_override=None, submission_opens=NOW - 10 * DAY, submission_due=NOW - DAY, review_opens=NOW - DAY,
        review_due=NOW + DAY, results_release=NOW + 5 * DAY, accept_late=accept_late,
        late_until=NOW + 2 * DAY if accept_late else None, late_penalty_per_day=10.0, zero_for_missing_work=True))
    staff = session.scalar(insert(Person).returning(Person.id).values(
        platform_id=session.scalar(select(Person.platform_id).where(Person.id == late)), subject="teacher"))
    session.execute(insert(Enrollment).values(person_id=staff, course_id=cohort.course_id, role=CourseRole.STAFF,
                                              lti_roles=[]))
    session.commit()
    return cohort, late, staff


def _extend(session, cohort, person, staff, step=Step.SUBMISSION, **when):
    grant_extension(session, ExtensionRequest(cohort.assignment_id, step, "Illness", person_id=person, **when),
                    staff, NOW)
    session.commit()


def _hand_in(session, cohort, person, deps, at):
    version = submit(session, HandIn(cohort.assignment_id, person, "<p>My essay</p>"), at, deps)
    session.commit()
    return version


def test_without_an_extension_work_after_the_deadline_is_refused(session, deps):
    cohort, late, _ = _class(session)
    with pytest.raises(PhaseClosed):
        _hand_in(session, cohort, late, deps, NOW)


def test_an_extended_student_hands_in_on_time_before_their_own_date_while_the_class_reviews(session, deps):
    cohort, late, staff = _class(session)
    _extend(session, cohort, late, staff, until=NOW + 2 * DAY)
    overview = student_overview(session, session.get(Assignment, cohort.assignment_id), late, NOW)
    assert overview.hand_in is not None and not overview.hand_in.is_late
    version = _hand_in(session, cohort, late, deps, NOW + 2 * DAY - MICRO)
    assert (version.is_late, version.late_penalty) == (False, 0.0)


def test_from_their_own_date_an_extended_student_is_refused_without_a_late_policy(session, deps):
    cohort, late, staff = _class(session)
    _extend(session, cohort, late, staff, until=NOW + 2 * DAY)
    with pytest.raises(PhaseClosed):
        _hand_in(session, cohort, late, deps, NOW + 2 * DAY)


def test_the_late_penalty_counts_from_the_students_own_date(session, deps):
    cohort, late, staff = _class(session, accept_late=True)
    _extend(session, cohort, late, staff, extra=timedelta(hours=36))  # own date: NOW + 12 h
    on_time = _hand_in(session, cohort, late, deps, NOW + timedelta(hours=12) - MICRO)
    assert (on_time.is_late, on_time.late_penalty) == (False, 0.0)
    version = _hand_in(session, cohort, late, deps, NOW + timedelta(hours=12))
    assert (version.is_late, version.late_penalty) == (True, pytest.approx(0.1))  # one started day, not two


def test_an_extended_students_work_is_served_to_reviewers_and_they_review_until_their_date(session, deps):
    cohort, late, staff = _class(session)
    _extend(session, cohort, late, staff, until=NOW + 3 * DAY)
    _hand_in(session, cohort, late, deps, NOW)
    own_submission = session.scalar(select(Submission.id).where(Submission.author_id == late))
    # The class's work already has a review under way each: the least loaded work comes first.
    session.execute(update(Submission).where(Submission.id != own_submission).values(review_load=1))
    session.commit()
    handed = request_review(session, ReviewerContext(cohort.assignment_id, cohort.student_ids[0], True), NOW)
    session.commit()
    assert handed.submission_id == own_submission
    # The class's reviewing has closed; the extended student reviews on until their own date.
    after = NOW + 2 * DAY
    with pytest.raises(NothingToReview):
        request_review(session, ReviewerContext(cohort.assignment_id, cohort.student_ids[1], True), after)
    review = request_review(session, ReviewerContext(cohort.assignment_id, late, True), after)
    save_review(session, review.id, late, ReviewInput(selections=VALID_SELECTIONS, comments={}, submit=True), after)
    session.commit()
    with pytest.raises(NothingToReview):
        request_review(session, ReviewerContext(cohort.assignment_id, late, True), NOW + 3 * DAY + SECOND)


def test_the_class_is_graded_and_released_without_a_student_whose_extension_runs_and_they_follow_once(session, deps):
    cohort, late, staff = _class(session)
    _extend(session, cohort, late, staff, until=NOW + 3 * DAY)
    grading = NOW + 2 * DAY
    graded = {row.person_id for row in run_grading(session, cohort.assignment_id, grading)}
    posted = {row.person_id for row in release_grades(session, cohort.assignment_id, grading)}
    session.commit()
    assert graded == posted == set(cohort.student_ids) - {late}
    # The release moved the class to released; the extended student still hands in within their date.
    _hand_in(session, cohort, late, deps, NOW + 3 * DAY - MICRO)
    after = NOW + 3 * DAY + SECOND
    run_grading(session, cohort.assignment_id, after)
    second = release_grades(session, cohort.assignment_id, after)
    session.commit()
    assert [row.person_id for row in second] == [late]
    assert session.scalar(select(Grade.released_at).where(Grade.person_id == late)) == after
    postings = session.scalars(select(GradePosting.person_id).where(
        GradePosting.assignment_id == cohort.assignment_id)).all()
    assert sorted(postings) == sorted(cohort.student_ids)  # one each, none twice


def test_a_withdrawn_extension_leaves_the_student_with_the_class_dates(session, deps):
    cohort, late, staff = _class(session)
    _extend(session, cohort, late, staff, until=NOW + 2 * DAY)
    extension = session.scalar(select(Extension.id).where(Extension.person_id == late))
    withdraw_extension(session, cohort.assignment_id, extension)
    session.commit()
    with pytest.raises(PhaseClosed):
        _hand_in(session, cohort, late, deps, NOW)


def test_an_extension_for_someone_not_a_student_of_the_course_is_refused(session):
    cohort, _, staff = _class(session)
    with pytest.raises(InvalidInput) as refused:
        _extend(session, cohort, staff, staff, until=NOW + 2 * DAY)
    assert "students of this course" in refused.value.message


def test_a_csv_with_an_unknown_student_saves_nothing_and_names_each_bad_line(session):
    cohort, late, staff = _class(session)
    text = ("student,step,extra_hours,until,reason\n"
            f"student-5,submission,48,,Illness\n"
            "nobody@example.org,review,24,,Travel\n"
            f"student-4,review,,{(NOW + 9 * DAY).isoformat()},Travel\n"
            "student-3,reviewing,24,,Travel\n")
    with pytest.raises(InvalidInput) as refused:
        import_extensions(session, cohort.assignment_id, text, staff, NOW)
    assert sorted(refused.value.problems) == ["line 3", "line 4", "line 5"]
    assert "“nobody@example.org” is not a student of this course" in refused.value.problems["line 3"]
    assert "after results are released" in refused.value.problems["line 4"]
    session.rollback()
    assert session.scalar(select(Extension.id).where(Extension.assignment_id == cohort.assignment_id)) is None
    given = import_extensions(session, cohort.assignment_id, "student,step,extra_hours,reason\n"
                              "student-5,submission,48,Illness\nSTUDENT-4,review,24,Travel\n", staff, NOW)
    session.commit()
    assert given == 2
    assert session.scalar(select(Extension.extra_minutes).where(Extension.person_id == late)) == 48 * 60



@pytest.mark.parametrize("lines", [2, 200])
def test_a_csv_import_reads_the_roster_once_however_many_lines_it_has(session, lines):
    cohort = create_cohort(session, 200, reviews_per_submission=2, reviews_per_student=2, now=NOW)
    staff = cohort.student_ids[0]
    text = "student,step,extra_hours,reason\n" + "".join(f"student-{index},review,24,Illness\n"
                                                          for index in range(lines))
    with statements_sent(session.get_bind()) as seen:
        given = import_extensions(session, cohort.assignment_id, text, staff, NOW)
    session.commit()
    assert given == lines
    assert sum("enrollments" in statement for statement in seen) == 1
    assert session.scalar(select(func.count()).select_from(Extension)
                          .where(Extension.assignment_id == cohort.assignment_id)) == lines

def test_a_team_extension_moves_every_member_and_no_one_else(session, deps):
    cohort, late, staff = _class(session)
    teammate, outsider = cohort.student_ids[-2], cohort.student_ids[0]
    team = session.scalar(insert(Team).returning(Team.id).values(assignment_id=cohort.assignment_id, name="Red",
                                                                   code="T3KQ"))
    session.execute(insert(TeamMembership), [
        {"assignment_id": cohort.assignment_id, "team_id": team, "person_id": person, "since": NOW - DAY}
        for person in (late, teammate)])
    session.commit()
    grant_extension(session, ExtensionRequest(cohort.assignment_id, Step.REVIEW, "Field trip", team_id=team,
                                              until=NOW + 3 * DAY), staff, NOW)
    session.commit()
    after = NOW + 2 * DAY  # the class's reviewing has closed
    review = request_review(session, ReviewerContext(cohort.assignment_id, teammate, True), after)
    assert review.id
    with pytest.raises(NothingToReview):
        request_review(session, ReviewerContext(cohort.assignment_id, outsider, True), after)
    assert waiting_students(session, session.get(Assignment, cohort.assignment_id), after) == {late, teammate}


def test_an_extended_student_reads_no_feedback_until_their_own_results_while_the_class_does(session, deps):
    cohort, late, staff = _class(session)
    _extend(session, cohort, late, staff, until=NOW + 3 * DAY)
    _hand_in(session, cohort, late, deps, NOW)
    grading = NOW + 2 * DAY
    run_grading(session, cohort.assignment_id, grading)
    release_grades(session, cohort.assignment_id, grading)
    session.commit()
    assert received_reviews(session, cohort.assignment_id, cohort.student_ids[0], grading) == []
    with pytest.raises(PhaseClosed):
        received_reviews(session, cohort.assignment_id, late, grading)


def _dates_known_unextended(session, cohort, person):
    """As a launched page leaves the session: it read that no extension concerns the person."""
    assignment = session.get(Assignment, cohort.assignment_id)
    note_extension(session, cohort.assignment_id, person, False)
    assert dates_of(session, assignment, person).timeline.submission_due == NOW - DAY
    return assignment


def test_an_extension_given_in_the_transaction_that_knew_the_student_had_none_moves_their_dates(session):
    cohort, late, staff = _class(session)
    assignment = _dates_known_unextended(session, cohort, late)

    grant_extension(session, ExtensionRequest(cohort.assignment_id, Step.SUBMISSION, "Illness", person_id=late,
                                              until=NOW + 2 * DAY), staff, NOW)

    assert dates_of(session, assignment, late).timeline.submission_due == NOW + 2 * DAY


def test_joining_an_extended_team_in_the_transaction_that_knew_the_student_had_none_moves_their_dates(session):
    cohort, late, _ = _class(session)
    team = session.scalar(insert(Team).returning(Team.id).values(assignment_id=cohort.assignment_id, name="Red",
                                                                   code="T3KQ"))
    session.execute(insert(Extension).values(assignment_id=cohort.assignment_id, team_id=team, step=Step.SUBMISSION,
                                             until=NOW + 2 * DAY, from_lms=False, reason="Trip", granted_at=NOW))
    assignment = _dates_known_unextended(session, cohort, late)

    session.execute(insert(TeamMembership).values(assignment_id=cohort.assignment_id, team_id=team, person_id=late,
                                                  since=NOW))

    assert dates_of(session, assignment, late).timeline.submission_due == NOW + 2 * DAY


def test_what_a_transaction_knew_of_extensions_ends_with_it(session):
    cohort, late, _ = _class(session)
    assignment = _dates_known_unextended(session, cohort, late)
    session.commit()
    # Given meanwhile by another transaction (here: written without the session's knowledge of it).
    with session.get_bind().begin() as other:
        other.execute(insert(Extension).values(assignment_id=cohort.assignment_id, person_id=late,
                                               step=Step.SUBMISSION, until=NOW + 2 * DAY, from_lms=False,
                                               reason="Illness", granted_at=NOW))

    assert dates_of(session, assignment, late).timeline.submission_due == NOW + 2 * DAY


def test_whether_an_extension_concerns_each_student_is_read_per_student_in_a_class_of_teams(session):
    """Read for every student at once (one row a person, as a launched page's first statement does): each student's
    own team counts, not another's, even with several teams placed."""
    cohort, _, staff = _class(session)
    first, second, third, fourth = cohort.student_ids[:4]
    red, blue = (session.scalar(insert(Team).returning(Team.id).values(assignment_id=cohort.assignment_id, name=name,
                                                                       code=code))
                 for name, code in (("Red", "T3KQ"), ("Blue", "T4KQ")))
    session.execute(insert(TeamMembership), [
        {"assignment_id": cohort.assignment_id, "team_id": team, "person_id": person, "since": NOW - DAY}
        for team, person in ((red, first), (red, second), (blue, third), (blue, fourth))])
    session.commit()
    grant_extension(session, ExtensionRequest(cohort.assignment_id, Step.REVIEW, "Field trip", team_id=blue,
                                              until=NOW + 3 * DAY), staff, NOW)
    session.commit()

    extended = dict(session.execute(select(Person.id, has_extension(cohort.assignment_id, Person.id))
                                    .where(Person.id.in_(cohort.student_ids))).all())

    assert {person for person, concerned in extended.items() if concerned} == {third, fourth}


def test_a_refused_hand_in_shows_on_the_home_whatever_other_students_versions_number(session):
    """The refusal is newer than the student's own latest version; another student's later versions do not hide it."""
    cohort, *_ = _class(session)
    own, other = cohort.submission_ids[0], cohort.submission_ids[1]
    session.execute(insert(SubmissionVersion), [{"submission_id": other, "number": number, "text_html": "<p>v</p>",
                                                 "submitted_at": NOW} for number in (2, 3)])
    session.execute(insert(FileCheck).values(submission_id=own, number=2, claimed_name="upload.pdf", submitted_at=NOW,
                                             status=FileCheckStatus.REFUSED))
    session.commit()

    overview = student_overview(session, session.get(Assignment, cohort.assignment_id), cohort.student_ids[0], NOW)

    assert overview.open_checks is True


def test_a_student_in_teams_of_two_assignments_asks_for_a_review_and_their_own_teams_extension_is_read(session, deps):
    """The queue reads whether an extension concerns the reviewer by the team they are in on this assignment, not on
    any other the course has (two rows there raised a cardinality error on PostgreSQL)."""
    cohort, late, staff = _class(session)
    reviewer = cohort.student_ids[0]
    first = session.get(Assignment, cohort.assignment_id)
    columns = {column.key: getattr(first, column.key) for column in Assignment.__table__.columns
               if column.key not in ("id", "public_id")}
    second = session.scalar(insert(Assignment).returning(Assignment.id).values(**columns, public_id="second-essay"))
    for assignment_id, code in ((cohort.assignment_id, "T3KQ"), (second, "T4KQ")):
        team = session.scalar(insert(Team).returning(Team.id).values(assignment_id=assignment_id, name="Red",
                                                                       code=code))
        session.execute(insert(TeamMembership).values(assignment_id=assignment_id, team_id=team, person_id=reviewer,
                                                      since=NOW - DAY))
    session.commit()
    _extend(session, cohort, late, staff, until=NOW + 3 * DAY)

    review = request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), NOW)

    assert review.id
