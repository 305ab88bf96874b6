"""reminder deadlines: a reminder is claimed once per deadline it is for, so a moved personal deadline is reminded again

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

OLD_KEY = 'uq_reminders_person_id_assignment_id_kind_hours_period'


def upgrade() -> None:
    # A reminder without its deadline was for the class's: the step's date on the activity.
    op.execute(sa.text(
        "UPDATE reminders SET deadline = (SELECT CASE reminders.kind WHEN 'submission' THEN a.submission_due "
        "WHEN 'calibration' THEN a.calibration_due ELSE a.review_due END FROM assignments a "
        "WHERE a.id = reminders.assignment_id) WHERE deadline IS NULL AND kind <> 'summary'"))
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(OLD_KEY), type_='unique')
        batch_op.create_index('uq_reminders_deadline', ['person_id', 'assignment_id', 'kind', 'hours', 'deadline'],
                              unique=True, postgresql_where=sa.text('deadline IS NOT NULL'),
                              sqlite_where=sa.text('deadline IS NOT NULL'))
        batch_op.create_index('uq_reminders_without_deadline', ['person_id', 'assignment_id', 'kind', 'hours', 'period'],
                              unique=True, postgresql_where=sa.text('deadline IS NULL'),
                              sqlite_where=sa.text('deadline IS NULL'))


def downgrade() -> None:
    # The old key has no deadline: of the reminders of one step and hours, only the latest (a moved deadline's) fits.
    op.execute(sa.text(
        "DELETE FROM reminders WHERE kind <> 'summary' AND EXISTS (SELECT 1 FROM reminders later "
        "WHERE later.person_id = reminders.person_id AND later.assignment_id = reminders.assignment_id "
        "AND later.kind = reminders.kind AND later.hours = reminders.hours AND later.period = reminders.period "
        "AND later.id > reminders.id)"))
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('uq_reminders_without_deadline')
        batch_op.drop_index('uq_reminders_deadline')
        batch_op.create_unique_constraint(batch_op.f(OLD_KEY), ['person_id', 'assignment_id', 'kind', 'hours', 'period'])
