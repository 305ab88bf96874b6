"""posting claimed by: which worker process holds a grade posting in flight, so a gone worker's rows are taken back early

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
