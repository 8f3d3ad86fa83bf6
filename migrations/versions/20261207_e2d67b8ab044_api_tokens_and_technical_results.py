"""api tokens and technical inspection results

Machine clients: each API token acts through an account of its own, of the new role 'client', whose org node is
the token's scope; the token's SHA-256 is stored, never the token. Technical inspection results: a scan of a
unit's devices attached to an inspection, its results, and the answers it proposes to the inspector.

On SQLite the role check is changed by copying user_account, with foreign keys off while it is copied (as in
93eb2b1d89bd, the separation of duties).

Revision ID: e2d67b8ab044
Revises: d7483e65d787
Create Date: 2026-12-07 11:59:10.531725

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2d67b8ab044'
down_revision = 'd7483e65d787'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'secadmin', 'auditor', 'inspector', 'officer', 'leader', 'pending')"
NEW_ROLES = "role IN ('admin', 'secadmin', 'auditor', 'inspector', 'officer', 'leader', 'pending', 'client')"


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


def _role_check(roles: str) -> None:
    _foreign_keys(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_account_role'), roles)
    _foreign_keys(True)


def upgrade():
    _role_check(NEW_ROLES)
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('permissions_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['user_account.id'], name=op.f('fk_api_token_account_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_api_token_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_api_token_revoked_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('account_id', name=op.f('uq_api_token_account_id')),
    sa.UniqueConstraint('name', name=op.f('uq_api_token_name')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_token_prefix')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_api_token_secret_hash'))
    )
    op.create_table('scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('format_version', sa.Integer(), nullable=False),
    sa.Column('tool_name', sa.String(length=100), nullable=False),
    sa.Column('tool_version', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('device_count', sa.Integer(), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('failing_count', sa.Integer(), nullable=False),
    sa.Column('classified_confirmed', sa.Boolean(), nullable=False),
    sa.CheckConstraint("source IN ('api', 'upload')", name=op.f('ck_scan_source')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_scan_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], name=op.f('fk_scan_received_by_id_user_account')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_scan_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan')),
    sa.UniqueConstraint('inspection_id', 'reference', name=op.f('uq_scan_inspection_id_reference'))
    )
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_unit_id'), ['unit_id'], unique=False)

    op.create_table('proposed_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('finding_text', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name=op.f('ck_proposed_answer_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_proposed_answer_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_proposed_answer_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_proposed_answer_item_id_checklist_item')),
    sa.ForeignKeyConstraint(['scan_id'], ['scan.id'], name=op.f('fk_proposed_answer_scan_id_scan')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_proposed_answer_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposed_answer')),
    sa.UniqueConstraint('scan_id', 'item_id', name=op.f('uq_proposed_answer_scan_id_item_id'))
    )
    with op.batch_alter_table('proposed_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposed_answer_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposed_answer_scan_id'), ['scan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposed_answer_unit_id'), ['unit_id'], unique=False)

    op.create_table('scan_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('asset_number', sa.String(length=64), nullable=True),
    sa.Column('device_name', sa.String(length=100), nullable=True),
    sa.Column('check_kind', sa.String(length=32), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("check_kind IN ('internet_connection', 'dual_use', 'usb_storage', 'classified_content', 'security_software', 'unapproved_software', 'wireless_device', 'smart_device')", name=op.f('ck_scan_result_check_kind')),
    sa.CheckConstraint("result IN ('pass', 'fail', 'error')", name=op.f('ck_scan_result_result')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_scan_result_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_scan_result_item_id_checklist_item')),
    sa.ForeignKeyConstraint(['scan_id'], ['scan.id'], name=op.f('fk_scan_result_scan_id_scan')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_scan_result_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_result'))
    )
    with op.batch_alter_table('scan_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_result_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_result_scan_id'), ['scan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_result_unit_id'), ['unit_id'], unique=False)


def downgrade():
    held = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM user_account WHERE role = 'client'")).scalar()
    if held:
        raise RuntimeError(f"{held} accounts are machine clients' (role client); remove them first")
    with op.batch_alter_table('scan_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_result_unit_id'))
        batch_op.drop_index(batch_op.f('ix_scan_result_scan_id'))
        batch_op.drop_index(batch_op.f('ix_scan_result_inspection_id'))

    op.drop_table('scan_result')
    with op.batch_alter_table('proposed_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposed_answer_unit_id'))
        batch_op.drop_index(batch_op.f('ix_proposed_answer_scan_id'))
        batch_op.drop_index(batch_op.f('ix_proposed_answer_inspection_id'))

    op.drop_table('proposed_answer')
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_unit_id'))
        batch_op.drop_index(batch_op.f('ix_scan_inspection_id'))

    op.drop_table('scan')
    op.drop_table('api_token')
    _role_check(OLD_ROLES)
