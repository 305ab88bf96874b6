"""grades, grade postings, access tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import assessment.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_tokens',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('expires_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_access_tokens'))
    )
    op.create_table('grade_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.String(length=32), nullable=False),
    sa.Column('score_given', sa.Float(), nullable=True),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('grading_progress', sa.String(length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('timestamp', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'in_flight', 'posted', 'failed', name='postingstatus', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_grade_postings_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_grade_postings_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_postings')),
    sa.UniqueConstraint('release_id', 'person_id', name=op.f('uq_grade_postings_release_id_person_id'))
    )
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_postings_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_grade_postings_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('submission_score', sa.Float(), nullable=True),
    sa.Column('submission_std', sa.Float(), nullable=True),
    sa.Column('reviews_received', sa.Integer(), nullable=False),
    sa.Column('submission_points', sa.Float(), nullable=False),
    sa.Column('reviewing_points', sa.Float(), nullable=False),
    sa.Column('late_deduction', sa.Float(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('attention', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('computed_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('override_total', sa.Float(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('override_by_id', sa.Integer(), nullable=True),
    sa.Column('override_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_total', sa.Float(), nullable=True),
    sa.Column('released_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_grades_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['override_by_id'], ['people.id'], name=op.f('fk_grades_override_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_grades_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grades')),
    sa.UniqueConstraint('assignment_id', 'person_id', name=op.f('uq_grades_assignment_id_person_id'))
    )
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grades_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grades_person_id'), ['person_id'], unique=False)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zero_for_missing_work', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('review_strictness', sa.Integer(), nullable=False, server_default='5'))


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('review_strictness')
        batch_op.drop_column('zero_for_missing_work')

    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grades_person_id'))
        batch_op.drop_index(batch_op.f('ix_grades_assignment_id'))

    op.drop_table('grades')
    with op.batch_alter_table('grade_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_postings_due')
        batch_op.drop_index(batch_op.f('ix_grade_postings_assignment_id'))

    op.drop_table('grade_postings')
    op.drop_table('access_tokens')
