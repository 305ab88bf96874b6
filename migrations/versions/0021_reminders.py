"""reminders: e-mails before each deadline and staff's daily summaries, each claimed once; a person's language,
a student's opt-out, the activity's address in the LMS and the hours before a deadline that students are reminded

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import assessment.db

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('deadline', assessment.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('status', sa.Enum('sending', 'sent', 'retry', 'failed', 'no_address', name='reminderstatus',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('claimed_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('details', _JSON, nullable=True),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'assignment_id', 'kind', 'hours', 'period'),
    )
    op.create_index('ix_reminders_status', 'reminders', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_reminders_assignment', 'reminders', ['assignment_id', 'status'], unique=False)
    op.create_index(op.f('ix_reminders_person_id'), 'reminders', ['person_id'], unique=False)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_off', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lms_url', sa.String(length=1024), nullable=True))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        # Existing activities remind as new ones do: 48 and 6 hours before each deadline.
        batch_op.add_column(sa.Column('reminder_hours', _JSON, server_default='[48, 6]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('reminder_hours')
    with op.batch_alter_table('resource_links', schema=None) as batch_op:
        batch_op.drop_column('lms_url')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('reminders_off')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('locale')
    op.drop_index(op.f('ix_reminders_person_id'), table_name='reminders')
    op.drop_index('ix_reminders_assignment', table_name='reminders')
    op.drop_index('ix_reminders_status', table_name='reminders')
    op.drop_table('reminders')
