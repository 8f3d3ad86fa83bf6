"""login throttle: failed logins counted per username and client address

A stranger's failures hold back the stranger's address only, so nobody can lock the owner out at will, and
unknown usernames are counted like real ones, so a refusal tells nothing of whether an account exists. In the
database rather than in each worker's memory, so the count holds across workers and app servers.

Revision ID: 9a8164d2df2b
Revises: fde3228ba5ea
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a8164d2df2b'
down_revision = 'fde3228ba5ea'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('username', 'address', name=op.f('uq_login_throttle_username_address'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_window_ends_at'), ['window_ends_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_window_ends_at'))

    op.drop_table('login_throttle')
