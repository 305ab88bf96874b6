"""last opened only from launches, and instructions in Markdown

An enrollment the roster brought has no launch time until the person launches; an assignment keeps the Markdown
its instructions were written in (empty for instructions written as HTML, as all were before).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessment.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before cannot tell a sync's time from a launch's: they keep what they have.
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.alter_column('last_launch_at', existing_type=assessment.db.UTCDateTime(timezone=True), nullable=True)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instructions_markdown', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    # The HTML rendered from the Markdown stays: the instructions read the same after a downgrade.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('instructions_markdown')
    op.execute(sa.text("UPDATE enrollments SET last_launch_at = CURRENT_TIMESTAMP WHERE last_launch_at IS NULL"))
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.alter_column('last_launch_at', existing_type=assessment.db.UTCDateTime(timezone=True), nullable=False)
