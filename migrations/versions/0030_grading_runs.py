"""grading runs: when grading last ran for an assignment, so a run that wrote no grade is not owed again each beat

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assessment.db import UTCDateTime

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'grading_runs',
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('ran_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                                name=op.f('fk_grading_runs_assignment_id_assignments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_grading_runs')),
    )
    # Assignments graded before: their latest grade says when (as the beat read it until now).
    op.execute("INSERT INTO grading_runs (assignment_id, ran_at) SELECT assignment_id, max(computed_at) FROM grades "
               "GROUP BY assignment_id")


def downgrade() -> None:
    op.drop_table('grading_runs')
