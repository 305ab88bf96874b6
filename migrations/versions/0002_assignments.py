"""assignments, rubrics, submissions, deep linking

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import assessment.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deep_link_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_deep_link_requests_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_deep_link_requests_deployment_id_deployments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_deep_link_requests_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_deep_link_requests_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deep_link_requests')),
    sa.UniqueConstraint('token', name=op.f('uq_deep_link_requests_token'))
    )
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('instructions_html', sa.Text(), nullable=False),
    sa.Column('submission_opens', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submission_due', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('calibration_opens', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('calibration_due', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_opens', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review_due', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('results_release', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accept_late', sa.Boolean(), nullable=False),
    sa.Column('late_until', assessment.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late_penalty_per_day', sa.Float(), nullable=False),
    sa.Column('reviews_per_submission', sa.Integer(), nullable=False),
    sa.Column('reviews_per_student', sa.Integer(), nullable=False),
    sa.Column('self_assessment', sa.Boolean(), nullable=False),
    sa.Column('anonymity', sa.Enum('double_blind', 'reviewers_anonymous', 'open', name='anonymity', native_enum=False, length=32), nullable=False),
    sa.Column('submission_weight', sa.Float(), nullable=False),
    sa.Column('aggregation', sa.String(length=32), nullable=False),
    sa.Column('points_possible', sa.Float(), nullable=False),
    sa.Column('submission_kinds', sa.Enum('text', 'files', 'both', name='submissionkinds', native_enum=False, length=32), nullable=False),
    sa.Column('file_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_file_mb', sa.Integer(), nullable=False),
    sa.Column('phase_override', sa.Enum('setup', 'submission', 'calibration', 'review', 'grading', 'released', name='phase', native_enum=False, length=32), nullable=True),
    sa.Column('rubric_document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_assignments_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_assignments_resource_link_id_resource_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_assignments_public_id')),
    sa.UniqueConstraint('resource_link_id', name=op.f('uq_assignments_resource_link_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_course_id'), ['course_id'], unique=False)

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=16), nullable=False),
    sa.Column('created_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_submissions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_submissions_author_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('assignment_id', 'author_id', name=op.f('uq_submissions_assignment_id_author_id'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_author_id'), ['author_id'], unique=False)

    op.create_table('submission_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text_html', sa.Text(), nullable=False),
    sa.Column('file_key', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('submitted_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_late', sa.Boolean(), nullable=False),
    sa.Column('late_penalty', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_versions_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_versions')),
    sa.UniqueConstraint('submission_id', 'number', name=op.f('uq_submission_versions_submission_id_number'))
    )
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_versions_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_versions_submission_id'))

    op.drop_table('submission_versions')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_author_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_assignment_id'))

    op.drop_table('submissions')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_course_id'))

    op.drop_table('assignments')
    op.drop_table('deep_link_requests')
