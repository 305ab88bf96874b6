"""extensions: extra time or personal dates per student or team, and when each enrolment was first seen

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessment.db

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'extensions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('step', sa.Enum('submission', 'calibration', 'review', name='step', native_enum=False, length=16),
                  nullable=False),
        sa.Column('extra_minutes', sa.Integer(), nullable=True),
        sa.Column('until', assessment.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('from_lms', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['granted_by_id'], ['people.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_extensions_assignment_id'), 'extensions', ['assignment_id'], unique=False)
    op.create_index(op.f('ix_extensions_person_id'), 'extensions', ['person_id'], unique=False)
    op.create_index(op.f('ix_extensions_team_id'), 'extensions', ['team_id'], unique=False)
    op.create_index('uq_extensions_person_step', 'extensions', ['assignment_id', 'person_id', 'step', 'from_lms'],
                    unique=True, postgresql_where=sa.text('person_id IS NOT NULL'),
                    sqlite_where=sa.text('person_id IS NOT NULL'))
    op.create_index('uq_extensions_team_step', 'extensions', ['assignment_id', 'team_id', 'step'], unique=True,
                    postgresql_where=sa.text('team_id IS NOT NULL'), sqlite_where=sa.text('team_id IS NOT NULL'))
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        # Enrolments from before are of unknown date: none of them counts as a late arrival.
        batch_op.add_column(sa.Column('enrolled_at', assessment.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('enrolled_at')
    op.drop_index('uq_extensions_team_step', table_name='extensions')
    op.drop_index('uq_extensions_person_step', table_name='extensions')
    op.drop_index(op.f('ix_extensions_team_id'), table_name='extensions')
    op.drop_index(op.f('ix_extensions_person_id'), table_name='extensions')
    op.drop_index(op.f('ix_extensions_assignment_id'), table_name='extensions')
    op.drop_table('extensions')
