"""grading advice: what the last grading run advises staff, kept per assignment so pages read it instead of
recomputing it

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import assessment.db

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    # Left empty: pages compute the advice of grades from before this revision until the next grading run keeps it.
    op.create_table(
        'grading_advice',
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('computed_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('document', _JSON, nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                                name=op.f('fk_grading_advice_assignment_id_assignments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_grading_advice')),
    )


def downgrade() -> None:
    op.drop_table('grading_advice')
