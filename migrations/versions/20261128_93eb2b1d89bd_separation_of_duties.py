"""separation of duties: the 安全保密管理员 role, and accounts that wait for a role

The admin makes accounts; the secadmin grants their roles. An account the admin makes holds the role
'pending' (no rights) and the business role asked for, until the secadmin decides.

On SQLite the role check is changed by copying the table; foreign keys are off while it is copied, as the
other tables point at it and SQLite would otherwise refuse to drop the old copy.

Revision ID: 93eb2b1d89bd
Revises: bca54c9f8204
Create Date: 2026-11-28 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93eb2b1d89bd'
down_revision = 'bca54c9f8204'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'auditor', 'inspector', 'officer', 'leader')"
NEW_ROLES = "role IN ('admin', 'secadmin', 'auditor', 'inspector', 'officer', 'leader', 'pending')"
REQUESTED = "requested_role IS NULL OR requested_role IN ('inspector', 'officer', 'leader')"


def _foreign_keys(on: bool) -> None:
    # The pragma is ignored inside a transaction: end it, set the pragma, and go on in a new one.
    context = op.get_context()
    if context.dialect.name == "sqlite":
        with context.autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        if on:
            broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken after copying user_account: {broken[:5]}")


def upgrade():
    _foreign_keys(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_role', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_account_role'), NEW_ROLES)
        batch_op.create_check_constraint(batch_op.f('ck_user_account_requested_role'), REQUESTED)
    _foreign_keys(True)


def downgrade():
    held = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM user_account WHERE role IN ('secadmin', 'pending')")).scalar()
    if held:
        raise RuntimeError(f"{held} accounts hold the roles secadmin or pending; change or remove them first")
    _foreign_keys(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_requested_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_account_role'), OLD_ROLES)
        batch_op.drop_column('requested_role')
    _foreign_keys(True)
