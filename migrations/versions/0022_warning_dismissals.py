"""warning dismissals: staff's dismissal of one kind of reviewer warning about one reviewer, with who and when

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessment.db

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'warning_dismissals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
        sa.Column('dismissed_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['people.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('assignment_id', 'reviewer_id', 'kind'),
    )
    op.create_index(op.f('ix_warning_dismissals_reviewer_id'), 'warning_dismissals', ['reviewer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_warning_dismissals_reviewer_id'), table_name='warning_dismissals')
    op.drop_table('warning_dismissals')
