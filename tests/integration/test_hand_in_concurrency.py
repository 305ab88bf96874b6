"""Handing in under real concurrency on PostgreSQL: parallel tabs and a phase moved by staff never mix or lose work."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from assessment.assignment_settings import SubmissionKinds
from assessment.errors import AssessmentError, PhaseClosed
from assessment.file_checks import claim_check, finish_check
from assessment.models import Assignment, FileCheck, Submission, SubmissionVersion
from assessment.phases import Phase
from assessment.services import HandIn, SubmissionDeps, UploadedFile, set_phase, submit
from assessment.storage import LocalDirectoryStorage
from assessment.upload_check import check_upload
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from tests.support.cohort import Cohort, create_cohort
from tests.support.concurrency import all_at_once, wide_postgres_fixture

postgres = wide_postgres_fixture(connections=55)


class SlowStorage(LocalDirectoryStorage):
    """A disk that takes a moment to write, as a real one does under load: it widens the window a race needs."""

    def save(self, key: str, data: bytes) -> None:
        time.sleep(0.05)
        super().save(key, data)


def _now() -> datetime:
    return datetime.now(UTC)


def _open_for_files(sessions: sessionmaker, students: int) -> Cohort:
    """A class whose assignment takes text and plain-text files, in its submission phase."""
    with sessions() as session:
        cohort = create_cohort(session, students, reviews_per_submission=2, reviews_per_student=2)
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
            phase_override=Phase.SUBMISSION, submission_kinds=SubmissionKinds.BOTH, file_types=["txt"],
            submission_due=_now().replace(year=_now().year + 1)))
        session.commit()
    return cohort


def _hand_in(sessions: sessionmaker, deps: SubmissionDeps, hand_in: HandIn) -> SubmissionVersion | FileCheck:
    with sessions() as session:
        version = submit(session, hand_in, _now(), deps)
        session.commit()
        return version


def _check_files(sessions: sessionmaker, storage: LocalDirectoryStorage, check_ids: list[int]) -> None:
    """What the workers do with each hand-in's file (in this process: the checks' concurrency is not the point)."""
    for check_id in check_ids:
        with sessions() as session:
            claim = claim_check(session, check_id, _now(), timedelta(minutes=5))
            session.commit()
            assert claim is not None
            outcome = check_upload(storage.read(claim.raw_key), claim.claimed_name, claim.file_types)
            ended = finish_check(session, check_id, outcome, storage, _now())
            session.commit()
            assert ended is not None and ended.raw_key is not None
            storage.delete(ended.raw_key)


def test_twenty_tabs_handing_in_different_files_at_once_each_store_their_own_file_under_consecutive_numbers(
        postgres, tmp_path: Path):
    cohort = _open_for_files(postgres, 2)
    author = cohort.student_ids[0]
    storage = SlowStorage(tmp_path)
    deps = SubmissionDeps(storage=storage, pseudonym_secret="secret")
    # Every tab's file has its own content and size, so a row pointing at another tab's file shows.
    files = [UploadedFile(f"essay-{tab}.txt", f"Tab {tab} ".encode() * (10 + 7 * tab)) for tab in range(20)]

    outcomes = all_at_once(20, lambda tab: _hand_in(postgres, deps, HandIn(cohort.assignment_id, author,
                                                                            file=files[tab])))

    unexpected = [outcome for outcome in outcomes
                  if isinstance(outcome, Exception) and not isinstance(outcome, AssessmentError)]
    assert unexpected == []
    accepted = [outcome for outcome in outcomes if isinstance(outcome, FileCheck)]
    _check_files(postgres, storage, [check.id for check in accepted])
    with postgres() as session:
        versions = session.scalars(select(SubmissionVersion).join(Submission)
                                   .where(Submission.author_id == author).order_by(SubmissionVersion.number)).all()
        assert [version.number for version in versions] == list(range(1, len(versions) + 1))
        versions = versions[1:]  # the first is the text the class handed in before
        assert len(versions) == len(accepted) >= 1
        sent = {file.data for file in files}
        for version in versions:
            assert version.file_key is not None
            stored = storage.read(version.file_key)
            assert version.file_size == len(stored) and stored in sent
        assert len({storage.read(version.file_key or "") for version in versions}) == len(versions)
        # Nothing but the accepted versions' files is left on the disk.
        on_disk = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()}
        assert on_disk == {version.file_key for version in versions}


def test_no_hand_in_is_accepted_after_staff_moving_the_assignment_to_reviewing_has_committed(postgres, tmp_path: Path):
    cohort = _open_for_files(postgres, 50)
    deps = SubmissionDeps(storage=SlowStorage(tmp_path), pseudonym_secret="secret")
    files = {student: UploadedFile("essay.txt", f"Essay by {student}".encode()) for student in cohort.student_ids}
    handed_in_before: list[int] = []

    def versions(session: Session) -> int:
        """Hand-ins kept: versions, and files waiting for their check."""
        return sum(session.scalar(select(func.count()).select_from(table).join(Submission)
                                  .where(Submission.assignment_id == cohort.assignment_id)) or 0
                   for table in (SubmissionVersion, FileCheck))

    def act(index: int) -> object:
        if index == 0:  # staff, a moment after the hand-ins started
            time.sleep(0.03)
            with postgres() as session:
                set_phase(session, cohort.assignment_id, Phase.REVIEW)
                session.commit()
                handed_in_before.append(versions(session))  # a new transaction: everything committed before it
            return None
        student = cohort.student_ids[index - 1]
        return _hand_in(postgres, deps, HandIn(cohort.assignment_id, student, file=files[student]))

    outcomes = all_at_once(51, act)

    hand_ins = outcomes[1:]
    assert all(isinstance(outcome, FileCheck | PhaseClosed) for outcome in hand_ins), hand_ins
    with postgres() as session:
        assert versions(session) == handed_in_before[0]  # nothing was added once the move committed
        assert handed_in_before[0] - 50 == sum(isinstance(outcome, FileCheck) for outcome in hand_ins)
