"""file checks: a hand-in's file waits in quarantine until a worker has checked it, then becomes a version

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import assessment.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    # Versions handed in before are unaffected: their files were checked in the request that took them.
    op.create_table(
        'file_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('text_html', sa.Text(), nullable=False),
        sa.Column('claimed_name', sa.String(length=64), nullable=False),
        sa.Column('file_types', _JSON, nullable=False),
        sa.Column('raw_key', sa.String(length=255), nullable=True),
        sa.Column('submitted_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('is_late', sa.Boolean(), nullable=False),
        sa.Column('late_penalty', sa.Float(), nullable=False),
        sa.Column('status', sa.Enum('checking', 'ready', 'refused', name='filecheckstatus', native_enum=False,
                                    length=16), nullable=False),
        sa.Column('refusal', _JSON, nullable=True),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('submission_id', 'number'),
    )
    op.create_index('ix_file_checks_status', 'file_checks', ['status', 'claimed_at'], unique=False)
    op.create_index(op.f('ix_file_checks_submission_id'), 'file_checks', ['submission_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_file_checks_submission_id'), table_name='file_checks')
    op.drop_index('ix_file_checks_status', table_name='file_checks')
    op.drop_table('file_checks')
