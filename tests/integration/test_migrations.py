"""The migrations build the schema the models describe, from empty, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing

import jwt
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from assessment.db import Base, make_engine
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401
from lti_tool.key_vault import KeyVault
from lti_tool.keys import new_private_key_pem, tool_key_row
from tests.support.services import sqlite_url, throwaway_postgres_database


def _assert_migrations_match_models(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == []
        migrate.downgrade(url, "base")
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == ["alembic_version"]
        migrate.upgrade(url)
    finally:
        engine.dispose()


def test_migrations_run_up_from_empty_on_sqlite(tmp_path):
    _assert_migrations_match_models(sqlite_url(tmp_path))


def test_migrations_run_up_from_empty_on_postgresql():
    with throwaway_postgres_database() as url:
        _assert_migrations_match_models(url)


def test_plaintext_tool_keys_from_before_encryption_are_encrypted_by_the_upgrade_and_still_sign(tmp_path):
    url = sqlite_url(tmp_path)
    vault = KeyVault("the-secret-key-of-this-deployment-0123456789")
    pem = new_private_key_pem()
    public = tool_key_row(pem, vault).public_jwk
    migrate.upgrade(url, "0005")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO tool_keys (kid, private_key_pem, public_jwk, created_at) "
                                    "VALUES (:kid, :pem, :jwk, CURRENT_TIMESTAMP)"),
                               {"kid": public["kid"], "pem": pem, "jwk": json.dumps(public)})

        migrate.upgrade(url, vault=vault)

        with engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM tool_keys")).mappings().one()
        assert "private_key_pem" not in row and "PRIVATE KEY" not in row["encrypted_private_key"]
        decrypted = vault.decrypt(row["encrypted_private_key"], row["kid"])
        assert decrypted == pem
        token = jwt.encode({"sub": "tool"}, decrypted, algorithm="RS256")
        assert jwt.decode(token, jwt.PyJWK(public).key, algorithms=["RS256"]) == {"sub": "tool"}

        migrate.downgrade(url, "0005", vault=vault)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT private_key_pem FROM tool_keys")).scalar_one() == pem
    finally:
        engine.dispose()


def _old_rows_are_repaired_on_upgrade(url: str) -> None:
    """Rows written at revision 0005: plain text the sanitiser entity-encoded, reviews without their version."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from assessment.db import make_session_factory
    from assessment.models import CalibrationExample, Grade, Review, ReviewFlag, ReviewKind, ReviewStatus
    from tests.support.cohort import CRITERION, create_cohort

    migrate.upgrade(url, "0005")
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            # The platforms table as it was then: later revisions add columns the model would write.
            platform_id = session.execute(text(
                "INSERT INTO platforms (name, issuer, client_id, auth_login_url, auth_token_url, key_set_url, "
                "accept_new_deployments, created_at) VALUES ('Old LMS', 'https://old.example', 'old', "
                "'https://old.example/auth', 'https://old.example/token', 'https://old.example/jwks', false, "
                "CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
            cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1, platform_id=platform_id)
            now = datetime.now(UTC)
            review_id = session.scalar(insert(Review).returning(Review.id).values(
                assignment_id=cohort.assignment_id, submission_id=cohort.submission_ids[1],
                reviewer_id=cohort.student_ids[0], kind=ReviewKind.PEER, status=ReviewStatus.SUBMITTED,
                assigned_at=now, selections={CRITERION: 2.0}, comments={CRITERION: "a &lt; b &amp; c"},
                helpfulness_comment="typed &amp;lt; literally", beyond_quota=False))
            flag_id = session.scalar(insert(ReviewFlag).returning(ReviewFlag.id).values(
                review_id=review_id, reason="unfair", explanation="It says x&lt;y &gt; z", resolution="Kept &amp; fine"))
            grade_id = session.scalar(insert(Grade).returning(Grade.id).values(
                assignment_id=cohort.assignment_id, person_id=cohort.student_ids[0], method="mean",
                override_total=5.0, override_reason="&quot;Excellent&quot; &amp; it&#39;s fair"))
            example_id = session.scalar(insert(CalibrationExample).returning(CalibrationExample.id).values(
                assignment_id=cohort.assignment_id, title="Example", explanations={CRITERION: "a&nbsp;&lt;&nbsp;b"}))
            session.commit()

        migrate.upgrade(url)

        with make_session_factory(engine)() as session:
            review = session.get(Review, review_id)
            assert review.comments == {CRITERION: "a < b & c"}
            assert review.helpfulness_comment == "typed &lt; literally"
            assert review.submission_version_id == review.submission.latest.id
            flag = session.get(ReviewFlag, flag_id)
            assert (flag.explanation, flag.resolution) == ("It says x<y > z", "Kept & fine")
            assert session.get(Grade, grade_id).override_reason == "\"Excellent\" & it's fair"
            assert session.get(CalibrationExample, example_id).explanations == {CRITERION: "a\u00a0<\u00a0b"}
            assert session.scalars(select(Review.submission_version_id)).all() == [review.submission.latest.id]
    finally:
        engine.dispose()


def test_upgrading_repairs_entity_encoded_plain_text_and_gives_old_reviews_their_version_on_sqlite(tmp_path):
    _old_rows_are_repaired_on_upgrade(sqlite_url(tmp_path))


def test_upgrading_repairs_entity_encoded_plain_text_and_gives_old_reviews_their_version_on_postgresql():
    with throwaway_postgres_database() as url:
        _old_rows_are_repaired_on_upgrade(url)


def test_upgrading_and_downgrading_an_sqlite_database_with_data_keeps_every_row(tmp_path):
    """SQLite alters a table by copying and dropping it; with foreign keys on, the drop deleted every course."""
    from tests.support.cohort import create_cohort

    url = sqlite_url(tmp_path)
    migrate.upgrade(url, "0005")
    engine = make_engine(url)
    tables = ("platforms", "deployments", "courses", "people", "enrollments", "assignments", "submissions",
              "submission_versions")

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in tables}

    try:
        with engine.begin() as connection:
            platform_id = connection.execute(text(
                "INSERT INTO platforms (name, issuer, client_id, auth_login_url, auth_token_url, key_set_url, "
                "accept_new_deployments, created_at) VALUES ('LMS', 'https://lms.example', 'c', "
                "'https://lms.example/auth', 'https://lms.example/token', 'https://lms.example/jwks', false, "
                "CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
            connection.execute(text("INSERT INTO deployments (platform_id, deployment_id, created_at) "
                                    "VALUES (:platform, 'd1', CURRENT_TIMESTAMP)"), {"platform": platform_id})
        from assessment.db import make_session_factory
        with make_session_factory(engine)() as session:
            create_cohort(session, 3, reviews_per_submission=1, reviews_per_student=1, platform_id=platform_id)
        before = counts()
        assert all(before.values())

        migrate.upgrade(url)
        assert counts() == before
        migrate.downgrade(url, "0005")
        assert counts() == before
    finally:
        engine.dispose()


def _upgrade_in_a_process(url: str) -> None:
    migrate.upgrade(url)


def test_two_upgrades_at_once_of_a_fresh_postgresql_database_both_succeed():
    context = multiprocessing.get_context("spawn")  # each process its own connection and alembic state
    with throwaway_postgres_database() as url:
        processes = [context.Process(target=_upgrade_in_a_process, args=(url,)) for _ in range(2)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)

        assert [process.exitcode for process in processes] == [0, 0]
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
                assert differences == []
        finally:
            engine.dispose()


def _reading_columns_on_upgrade(url: str) -> None:
    """Assignments made before 0018 keep letting reviewers download; versions have no reading copy yet."""
    from tests.support.cohort import create_cohort

    migrate.upgrade(url, "0015")
    engine = make_engine(url)
    try:
        from assessment.db import make_session_factory

        with make_session_factory(engine)() as session:
            create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1)

        migrate.upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT reviewers_may_download FROM assignments")).scalars().all() == [True]
            versions = connection.execute(text("SELECT reading_copy_key, reading_copy_failed FROM submission_versions"))
            assert [tuple(row) for row in versions] == [(None, False), (None, False)]

        migrate.downgrade(url, "0015")
        with engine.connect() as connection:
            assert "reviewers_may_download" not in {c["name"] for c in inspect(connection).get_columns("assignments")}
            assert "reading_copy_key" not in {c["name"] for c in inspect(connection).get_columns("submission_versions")}
            assert connection.execute(text("SELECT count(*) FROM submission_versions")).scalar_one() == 2
    finally:
        engine.dispose()


def test_upgrading_to_reading_copies_lets_existing_reviewers_download_and_downgrading_keeps_rows_on_sqlite(tmp_path):
    _reading_columns_on_upgrade(sqlite_url(tmp_path))


def test_upgrading_to_reading_copies_lets_existing_reviewers_download_and_downgrading_keeps_rows_on_postgresql():
    with throwaway_postgres_database() as url:
        _reading_columns_on_upgrade(url)


def _latest_posting_index(url: str) -> None:
    """0019 replaces the postings' index on the assignment by one on assignment, person and timestamp; rows stay."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from assessment.db import make_session_factory
    from assessment.models import GradePosting
    from tests.support.cohort import create_cohort

    def indexes(connection) -> set[str]:
        return {index["name"] for index in inspect(connection).get_indexes("grade_postings")}

    migrate.upgrade(url, "0018")
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1)
            session.execute(insert(GradePosting), [
                {"assignment_id": cohort.assignment_id, "person_id": person, "release_id": "r1", "score_given": 1.0,
                 "score_maximum": 10.0, "grading_progress": "FullyGraded", "timestamp": datetime.now(UTC)}
                for person in cohort.student_ids])
            session.commit()

        migrate.upgrade(url)
        with engine.connect() as connection:
            assert "ix_grade_postings_latest" in indexes(connection)
            assert "ix_grade_postings_assignment_id" not in indexes(connection)

        migrate.downgrade(url, "0018")
        with engine.connect() as connection:
            assert "ix_grade_postings_assignment_id" in indexes(connection)
            assert "ix_grade_postings_latest" not in indexes(connection)
            assert connection.execute(text("SELECT count(*) FROM grade_postings")).scalar_one() == 2
    finally:
        engine.dispose()


def test_the_latest_posting_index_replaces_the_assignment_one_and_downgrading_keeps_postings_on_sqlite(tmp_path):
    _latest_posting_index(sqlite_url(tmp_path))


def test_the_latest_posting_index_replaces_the_assignment_one_and_downgrading_keeps_postings_on_postgresql():
    with throwaway_postgres_database() as url:
        _latest_posting_index(url)


def _reminder_deadlines_on_upgrade_and_downgrade(url: str) -> None:
    """Reminders from before 0028 without a deadline take the class's; downgrading keeps one row per old key."""
    from assessment.db import make_session_factory
    from tests.support.cohort import create_cohort

    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            cohort = create_cohort(session, 1, reviews_per_submission=1, reviews_per_student=1)
        migrate.downgrade(url, "0027")
        insert_row = text("INSERT INTO reminders (assignment_id, person_id, kind, hours, period, deadline, status, "
                          "attempts, claimed_at, last_error) SELECT a.id, p.id, :kind, :hours, :period, NULL, 'sent', "
                          "0, CURRENT_TIMESTAMP, '' FROM assignments a, people p WHERE a.id = :assignment")
        with engine.begin() as connection:
            for kind, hours, period in (("review", 48, ""), ("submission", 6, ""), ("summary", 0, "2026-12-01")):
                connection.execute(insert_row, {"kind": kind, "hours": hours, "period": period,
                                                "assignment": cohort.assignment_id})
        migrate.upgrade(url)
        with engine.begin() as connection:
            backfilled = connection.execute(text(
                "SELECT r.kind, r.deadline = a.review_due, r.deadline = a.submission_due, r.deadline IS NULL "
                "FROM reminders r JOIN assignments a ON a.id = r.assignment_id ORDER BY r.id")).all()
            assert [tuple(row) for row in backfilled] == [("review", True, False, False),
                                                          ("submission", False, True, False),
                                                          ("summary", None, None, True)]
            # The same reminder before a moved deadline: a row of its own now.
            connection.execute(text(
                "INSERT INTO reminders (assignment_id, person_id, kind, hours, period, deadline, status, attempts, "
                "claimed_at, last_error) SELECT assignment_id, person_id, kind, hours, period, :later, 'sent', 0, "
                "CURRENT_TIMESTAMP, '' FROM reminders WHERE kind = 'review'"), {"later": "2099-01-01 00:00:00+00:00"})
        migrate.downgrade(url, "0027")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT kind, deadline FROM reminders ORDER BY id")).all()
        assert [row[0] for row in kept] == ["submission", "summary", "review"]
        assert str(kept[2][1]).startswith("2099-01-01")  # the later deadline's row is the one kept
        migrate.upgrade(url)
    finally:
        engine.dispose()


def test_reminders_without_a_deadline_take_the_classs_on_upgrade_on_sqlite(tmp_path):
    _reminder_deadlines_on_upgrade_and_downgrade(sqlite_url(tmp_path))


def test_reminders_without_a_deadline_take_the_classs_on_upgrade_on_postgresql():
    with throwaway_postgres_database() as url:
        _reminder_deadlines_on_upgrade_and_downgrade(url)
