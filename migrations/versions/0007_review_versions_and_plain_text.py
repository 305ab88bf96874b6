"""review versions and plain text: each review names the version it assesses; plain text is stored as typed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Upgrading also repairs plain text that earlier versions passed through the HTML sanitiser, which stored
`a < b & c` as `a &lt; b &amp; c`: the entities it wrote are turned back into the characters typed. The repair is
not undone on downgrade (the characters as typed are what every version should show).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

import assessment.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The only entities the sanitiser wrote into text; one pass, so "&amp;lt;" (a typed "&lt;") becomes "&lt;".
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'", "&nbsp;": "\u00a0"}
_ENTITY = re.compile("|".join(re.escape(entity) for entity in _ENTITIES))
# (table, key column, plain-text columns, JSON columns holding plain text by criterion)
_PLAIN_TEXT = (
    ("reviews", "id", ("helpfulness_comment",), ("comments",)),
    ("review_flags", "id", ("explanation", "resolution"), ()),
    ("grades", "id", ("override_reason",), ()),
    ("calibration_examples", "id", (), ("explanations",)),
)


def _unescaped(text: str | None) -> str | None:
    return _ENTITY.sub(lambda match: _ENTITIES[match[0]], text) if text else text


def _repair_plain_text() -> None:
    connection = op.get_bind()
    for name, key, texts, documents in _PLAIN_TEXT:
        table = sa.table(name, sa.column(key), *(sa.column(c, sa.Text()) for c in texts),
                         *(sa.column(c, assessment.db.JSONDocument) for c in documents))
        for row in connection.execute(sa.select(table)).mappings().all():
            changes = {column: _unescaped(row[column]) for column in texts if _unescaped(row[column]) != row[column]}
            for column in documents:
                document = row[column]
                if isinstance(document, dict):
                    repaired = {k: _unescaped(v) if isinstance(v, str) else v for k, v in document.items()}
                    if repaired != document:
                        changes[column] = repaired
            if changes:
                connection.execute(sa.update(table).where(table.c[key] == row[key]).values(**changes))


@contextmanager
def _flags_kept() -> Iterator[None]:
    """SQLite alters `reviews` by copying it and dropping the original, and that drop deletes every flag through
    ON DELETE CASCADE (foreign keys cannot be switched off inside the migration's transaction): put them back."""
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        yield
        return
    flags = sa.Table('review_flags', sa.MetaData(), autoload_with=connection)
    kept = [dict(row) for row in connection.execute(sa.select(flags)).mappings()]
    yield
    connection.execute(sa.delete(flags))
    if kept:
        connection.execute(sa.insert(flags), kept)


def upgrade() -> None:
    with _flags_kept():
        with op.batch_alter_table('reviews', schema=None) as batch_op:
            batch_op.add_column(sa.Column('submission_version_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_reviews_submission_version_id_submission_versions'),
                                        'submission_versions', ['submission_version_id'], ['id'], ondelete='CASCADE')
    op.create_index(op.f('ix_reviews_submission_version_id'), 'reviews', ['submission_version_id'], unique=False)
    # Reviews handed out before: the latest version handed in by the time the review was handed out, else the first.
    versions = sa.table('submission_versions', sa.column('id'), sa.column('submission_id'), sa.column('number'),
                        sa.column('submitted_at'))
    reviews = sa.table('reviews', sa.column('id'), sa.column('submission_id'), sa.column('assigned_at'),
                       sa.column('submission_version_id'))
    by_then = (sa.select(versions.c.id).where(versions.c.submission_id == reviews.c.submission_id,
                                              versions.c.submitted_at <= reviews.c.assigned_at)
               .order_by(versions.c.number.desc()).limit(1).scalar_subquery())
    first = (sa.select(versions.c.id).where(versions.c.submission_id == reviews.c.submission_id)
             .order_by(versions.c.number).limit(1).scalar_subquery())
    op.execute(sa.update(reviews).values(submission_version_id=sa.func.coalesce(by_then, first)))
    _repair_plain_text()


def downgrade() -> None:
    op.drop_index(op.f('ix_reviews_submission_version_id'), table_name='reviews')
    with _flags_kept():
        with op.batch_alter_table('reviews', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_reviews_submission_version_id_submission_versions'),
                                     type_='foreignkey')
            batch_op.drop_column('submission_version_id')
