"""tab sessions: the tool's session for browser tabs that refuse its cookies

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessment.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tab_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('expires_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tab_sessions'))
    )
    with op.batch_alter_table('tab_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tab_sessions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tab_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tab_sessions_expires_at'))
    op.drop_table('tab_sessions')
