"""grade release snapshots: what each student was shown at release, one stored gradebook column per resource link,
and the activity progress each score reports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'released_snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_item_url', sa.String(length=1024), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_resource_links_line_item_url'), ['line_item_url'])
    # Postings written before this column told the gradebook "Completed"; they keep saying so.
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_progress', sa.String(length=32), server_default='Completed',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.drop_column('activity_progress')
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_resource_links_line_item_url'), type_='unique')
        batch_op.drop_column('line_item_url')
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('released_snapshot')
