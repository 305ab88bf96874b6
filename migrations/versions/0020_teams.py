"""teams: team assignments, teams with anonymous codes, memberships with their history, and who handed in

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assessment.db import UTCDateTime

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_teams_assignment_id_assignments'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('assignment_id', 'code', name=op.f('uq_teams_assignment_id_code')),
        sa.UniqueConstraint('assignment_id', 'name', name=op.f('uq_teams_assignment_id_name')),
    )
    op.create_index(op.f('ix_teams_assignment_id'), 'teams', ['assignment_id'], unique=False)
    op.create_table(
        'team_memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('since', UTCDateTime(), nullable=False),
        sa.Column('until', UTCDateTime(), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', UTCDateTime(), nullable=False),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                                name=op.f('fk_team_memberships_assignment_id_assignments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_memberships_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_team_memberships_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['changed_by_id'], ['people.id'],
                                name=op.f('fk_team_memberships_changed_by_id_people'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ended_by_id'], ['people.id'],
                                name=op.f('fk_team_memberships_ended_by_id_people'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_team_memberships')),
    )
    op.create_index(op.f('ix_team_memberships_team_id'), 'team_memberships', ['team_id'], unique=False)
    op.create_index(op.f('ix_team_memberships_person_id'), 'team_memberships', ['person_id'], unique=False)
    op.create_index('uq_team_memberships_current', 'team_memberships', ['assignment_id', 'person_id'], unique=True,
                    postgresql_where=sa.text('until IS NULL'), sqlite_where=sa.text('until IS NULL'))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_assignment', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_submissions_team_id'), ['team_id'])
        batch_op.create_foreign_key(batch_op.f('fk_submissions_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='CASCADE')
    for table in ('submission_versions', 'file_checks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('handed_in_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_handed_in_by_id_people'), 'people',
                                        ['handed_in_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    for table in ('file_checks', 'submission_versions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_handed_in_by_id_people'), type_='foreignkey')
            batch_op.drop_column('handed_in_by_id')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submissions_team_id_teams'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_submissions_team_id'), type_='unique')
        batch_op.drop_column('team_id')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('team_assignment')
    op.drop_index('uq_team_memberships_current', table_name='team_memberships')
    op.drop_index(op.f('ix_team_memberships_person_id'), table_name='team_memberships')
    op.drop_index(op.f('ix_team_memberships_team_id'), table_name='team_memberships')
    op.drop_table('team_memberships')
    op.drop_index(op.f('ix_teams_assignment_id'), table_name='teams')
    op.drop_table('teams')
