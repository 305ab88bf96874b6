"""graded at: when grading last ran for an assignment, so a run that wrote no grade is not owed again each beat

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
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('graded_at', UTCDateTime(), nullable=True))
    # Assignments graded before: their latest grade says when (as the beat read it until now).
    op.execute("UPDATE assignments SET graded_at = (SELECT max(grades.computed_at) FROM grades "
               "WHERE grades.assignment_id = assignments.id)")


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('graded_at')
