"""outbox reasons kept as messages, and a newer pick waiting for staff's answer

A grade posting keeps why it failed as a message template and its parameters, so staff read it in their language
(rows from before keep their English text); a resource link keeps a newer pick from the LMS that it did not follow
until staff answer, and the pick they chose not to open.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_message', DOCUMENT, nullable=True))
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_pick', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('declined_pick', sa.String(length=32), nullable=True))


def downgrade() -> None:
    # The English text of every reason stays in last_error; a waiting pick is asked about again at the next launch.
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.drop_column('declined_pick')
        batch_op.drop_column('waiting_pick')
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.drop_column('last_error_message')
