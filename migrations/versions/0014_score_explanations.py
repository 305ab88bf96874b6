"""score explanations: each grade keeps how its peer score was reached, review by review

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Grades computed before keep no explanation until grading runs again; the pages say so.
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'score_explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('score_explanation')
