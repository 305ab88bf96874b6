"""individual grades in team work: how teammates' ratings moved each member's grade, kept on the grade

Revision ID: 0029
Revises: 0024
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0029'
down_revision = '0024'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    # Left empty: grades of earlier runs were the team's grade for every member, which is what NULL stands for.
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contribution', _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('contribution')
