"""reading copies of submitted files, and whether reviewers may download the file

A version's DOCX or ODT is read in the browser as a PDF made from its anonymised file: the copy's storage key, or
that making it failed. An assignment says whether reviewers may also download the file itself (existing ones may,
as before).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reading_copy_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('reading_copy_failed', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewers_may_download', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))


def downgrade() -> None:
    # The reading copies stay in storage, unreferenced; a later upgrade makes them again when they are read.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('reviewers_may_download')
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_column('reading_copy_failed')
        batch_op.drop_column('reading_copy_key')
