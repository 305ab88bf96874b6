"""calibration, reviews, flags

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import assessment.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calibration_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text_html', sa.Text(), nullable=False),
    sa.Column('file_key', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('reference', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('explanations', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_calibration_examples_assignment_id_assignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_examples'))
    )
    with op.batch_alter_table('calibration_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_examples_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('calibration_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('selections', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('accuracy', sa.Float(), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['example_id'], ['calibration_examples.id'], name=op.f('fk_calibration_attempts_example_id_calibration_examples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_calibration_attempts_student_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_attempts')),
    sa.UniqueConstraint('example_id', 'student_id', 'number', name=op.f('uq_calibration_attempts_example_id_student_id_number'))
    )
    with op.batch_alter_table('calibration_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_attempts_example_id'), ['example_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_attempts_student_id'), ['student_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('peer', 'self', 'staff', name='reviewkind', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('assigned', 'submitted', 'expired', 'removed', name='reviewstatus', native_enum=False, length=16), nullable=False),
    sa.Column('assigned_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_expires_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('beyond_quota', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('selections', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('comments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('helpfulness', sa.Integer(), nullable=True),
    sa.Column('helpfulness_comment', sa.Text(), nullable=False),
    sa.Column('updated_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_reviews_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], name=op.f('fk_reviews_reviewer_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_reviews_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('submission_id', 'reviewer_id', 'kind', name=op.f('uq_reviews_submission_id_reviewer_id_kind'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_open_leases', ['assignment_id', 'status', 'lease_expires_at'], unique=False)
        batch_op.create_index('ix_reviews_reviewer', ['reviewer_id', 'assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_submission_id'), ['submission_id'], unique=False)

    op.create_table('review_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('unfair', 'inappropriate', name='flagreason', native_enum=False, length=16), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['people.id'], name=op.f('fk_review_flags_resolved_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_flags_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_flags')),
    sa.UniqueConstraint('review_id', name=op.f('uq_review_flags_review_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocation_mode', sa.Enum('queue', 'static', name='allocationmode', native_enum=False, length=32), nullable=False, server_default='queue'))
        batch_op.add_column(sa.Column('reviewers_need_submission', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('lease_hours', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('calibration_examples_required', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('calibration_pass_accuracy', sa.Float(), nullable=False, server_default='0.8'))
        batch_op.add_column(sa.Column('calibration_attempts', sa.Integer(), nullable=False, server_default='2'))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_load', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_submissions_queue', ['assignment_id', 'review_load', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_queue')
        batch_op.drop_column('review_load')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('calibration_attempts')
        batch_op.drop_column('calibration_pass_accuracy')
        batch_op.drop_column('calibration_examples_required')
        batch_op.drop_column('lease_hours')
        batch_op.drop_column('reviewers_need_submission')
        batch_op.drop_column('allocation_mode')

    op.drop_table('review_flags')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_submission_id'))
        batch_op.drop_index('ix_reviews_reviewer')
        batch_op.drop_index('ix_reviews_open_leases')

    op.drop_table('reviews')
    with op.batch_alter_table('calibration_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_attempts_student_id'))
        batch_op.drop_index(batch_op.f('ix_calibration_attempts_example_id'))

    op.drop_table('calibration_attempts')
    with op.batch_alter_table('calibration_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_examples_assignment_id'))

    op.drop_table('calibration_examples')
