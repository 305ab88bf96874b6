"""teammate evaluation: an assignment's settings for teammates' ratings of each other, the ratings, and the
contribution factors staff set in their place

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import assessment.db

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teammate_evaluation_document', _JSON, nullable=True))
    op.create_table(
        'teammate_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('rater_id', sa.Integer(), nullable=False),
        sa.Column('ratee_id', sa.Integer(), nullable=False),
        sa.Column('scores', _JSON, nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('submitted_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                                name=op.f('fk_teammate_ratings_assignment_id_assignments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_teammate_ratings_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rater_id'], ['people.id'], name=op.f('fk_teammate_ratings_rater_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ratee_id'], ['people.id'], name=op.f('fk_teammate_ratings_ratee_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teammate_ratings')),
        sa.UniqueConstraint('assignment_id', 'rater_id', 'ratee_id',
                            name=op.f('uq_teammate_ratings_assignment_id_rater_id_ratee_id')),
    )
    op.create_index(op.f('ix_teammate_ratings_team_id'), 'teammate_ratings', ['team_id'], unique=False)
    op.create_index(op.f('ix_teammate_ratings_rater_id'), 'teammate_ratings', ['rater_id'], unique=False)
    op.create_index(op.f('ix_teammate_ratings_ratee_id'), 'teammate_ratings', ['ratee_id'], unique=False)
    op.create_table(
        'contribution_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('factor', sa.Float(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', assessment.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                                name=op.f('fk_contribution_overrides_assignment_id_assignments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_contribution_overrides_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_by_id'], ['people.id'], name=op.f('fk_contribution_overrides_set_by_id_people'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution_overrides')),
        sa.UniqueConstraint('assignment_id', 'person_id', name=op.f('uq_contribution_overrides_assignment_id_person_id')),
    )
    op.create_index(op.f('ix_contribution_overrides_person_id'), 'contribution_overrides', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_contribution_overrides_person_id'), table_name='contribution_overrides')
    op.drop_table('contribution_overrides')
    for index in ('ratee_id', 'rater_id', 'team_id'):
        op.drop_index(op.f(f'ix_teammate_ratings_{index}'), table_name='teammate_ratings')
    op.drop_table('teammate_ratings')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('teammate_evaluation_document')
