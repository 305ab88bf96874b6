"""registration invites: single-use, expiring links an administrator issues for Dynamic Registration

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessment.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registration_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_registration_invites_platform_id_platforms'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registration_invites_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('registration_invites')
