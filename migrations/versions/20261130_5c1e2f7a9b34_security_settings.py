"""security settings: the lock-out, session and password settings the 安全保密管理员 sets

Kept in the database so every worker and app server applies the same values; a setting without a row keeps the
configured default.

Revision ID: 5c1e2f7a9b34
Revises: 9a8164d2df2b
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e2f7a9b34'
down_revision = '9a8164d2df2b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('security_setting',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                            name=op.f('fk_security_setting_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_security_setting'))
    )


def downgrade():
    op.drop_table('security_setting')
