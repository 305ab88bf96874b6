"""coverage: bonus reviews a reviewer chose to do beyond their quota, what each adds to the reviewing grade, and
flexible grading from fewer reviews some days after the review deadline

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bonus', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bonus_review_points', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('flexible_grading_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('flexible_grading_days')
        batch_op.drop_column('bonus_review_points')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('bonus')
