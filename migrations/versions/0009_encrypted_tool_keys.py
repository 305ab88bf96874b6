"""encrypted tool keys: the tool's private keys are stored encrypted with a key derived from SECRET_KEY

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from lti_tool.key_vault import KeyVault
from lti_tool.migrate import KEY_VAULT_ATTRIBUTE

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

tool_keys = sa.table(
    'tool_keys',
    sa.column('id', sa.Integer()),
    sa.column('kid', sa.String()),
    sa.column('private_key_pem', sa.Text()),
    sa.column('encrypted_private_key', sa.Text()),
)


def _vault() -> KeyVault:
    # `peerlti db upgrade` passes the running settings' vault; other callers get the environment's.
    vault = context.config.attributes.get(KEY_VAULT_ATTRIBUTE)
    if vault is None:
        from config.settings import Settings

        vault = KeyVault.from_settings(Settings.from_env())
    return vault


def upgrade() -> None:
    with op.batch_alter_table('tool_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encrypted_private_key', sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(tool_keys.c.id, tool_keys.c.private_key_pem)).all()
    if rows:
        vault = _vault()
        for key_id, pem in rows:
            connection.execute(tool_keys.update().where(tool_keys.c.id == key_id)
                               .values(encrypted_private_key=vault.encrypt(pem)))
    with op.batch_alter_table('tool_keys', schema=None) as batch_op:
        batch_op.alter_column('encrypted_private_key', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('private_key_pem')


def downgrade() -> None:
    with op.batch_alter_table('tool_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_key_pem', sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(tool_keys.c.id, tool_keys.c.kid, tool_keys.c.encrypted_private_key)).all()
    if rows:
        vault = _vault()
        # Every key is decrypted before any is written, so a key that cannot be stops the downgrade at once.
        decrypted = [(key_id, vault.decrypt(encrypted, kid)) for key_id, kid, encrypted in rows]
        for key_id, pem in decrypted:
            connection.execute(tool_keys.update().where(tool_keys.c.id == key_id).values(private_key_pem=pem))
    with op.batch_alter_table('tool_keys', schema=None) as batch_op:
        batch_op.alter_column('private_key_pem', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('encrypted_private_key')
