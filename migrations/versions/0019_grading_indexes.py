"""an index for each student's latest grade posting

A release reads every student's latest posting for the assignment; the index on the assignment alone made it walk
every posting of every earlier release. The new index begins with the assignment, so it replaces the old one.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.create_index('ix_grade_postings_latest', ['assignment_id', 'person_id', 'timestamp'], unique=False)
        batch_op.drop_index('ix_grade_postings_assignment_id')


def downgrade() -> None:
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.create_index('ix_grade_postings_assignment_id', ['assignment_id'], unique=False)
        batch_op.drop_index('ix_grade_postings_latest')
