"""team reviews: an assignment may have each team write one review per work it reviews, with who saved each version

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assessment.db import UTCDateTime

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviews_by_team', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewing_team_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reviews_reviewing_team_id'), ['reviewing_team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reviews_reviewing_team_id_teams'), 'teams',
                                    ['reviewing_team_id'], ['id'], ondelete='CASCADE')
    op.create_table(
        'review_saves',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('submitted', sa.Boolean(), nullable=False),
        sa.Column('saved_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_review_saves_person_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_saves_review_id_reviews'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_saves')),
    )
    op.create_index(op.f('ix_review_saves_review_id'), 'review_saves', ['review_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_saves_review_id'), table_name='review_saves')
    op.drop_table('review_saves')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reviews_reviewing_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reviews_reviewing_team_id'))
        batch_op.drop_column('reviewing_team_id')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('reviews_by_team')
