"""incidents and cases: the 泄密事件 a unit reports (or the bureau opens), the case on it, its timeline and files;
a finding (and so a ticket) whose source is a case's 整改要求 rather than an inspection

A case's finding has no inspection and no checklist item: `finding.inspection_id` and `item_id` and
`ticket.inspection_id` become nullable, and a finding names exactly one source. Downgrading removes the cases'
findings and tickets (and their timeline, extensions and files) before the columns are required again.

Revision ID: cfb4c7ccec21
Revises: 4e7d2a91c6b8
Create Date: 2026-12-07 11:57:27.987665

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cfb4c7ccec21'
down_revision = '4e7d2a91c6b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('carrier', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('involved', sa.Text(), nullable=False),
    sa.Column('persons', sa.Text(), nullable=True),
    sa.Column('remedies', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=True),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.Column('report_due_at', sa.DateTime(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('determination', sa.String(length=16), nullable=True),
    sa.Column('determined_at', sa.DateTime(), nullable=True),
    sa.Column('discipline', sa.Text(), nullable=True),
    sa.Column('requirement', sa.Text(), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('bulletin_number', sa.String(length=64), nullable=True),
    sa.Column('bulletin_named', sa.Boolean(), nullable=False),
    sa.Column('bulletin_summary', sa.Text(), nullable=True),
    sa.Column('bulletin_on', sa.Date(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=True),
    sa.Column('last_reminded_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint("carrier IN ('paper', 'removable', 'computer', 'internet', 'phone', 'system', 'other')", name=op.f('ck_incident_carrier')),
    sa.CheckConstraint("determination IS NULL OR determination IN ('leak', 'violation', 'unfounded')", name=op.f('ck_incident_determination')),
    sa.CheckConstraint("kind IN ('leak', 'violation')", name=op.f('ck_incident_kind')),
    sa.CheckConstraint("level IN ('top_secret', 'secret', 'confidential', 'undetermined')", name=op.f('ck_incident_level')),
    sa.CheckConstraint("status IN ('reported', 'investigating', 'determined', 'handled', 'closed')", name=op.f('ck_incident_status')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_incident_quantity')),
    sa.ForeignKeyConstraint(['bureau_id'], ['org_node.id'], name=op.f('fk_incident_bureau_id_org_node')),
    sa.ForeignKeyConstraint(['follow_up_id'], ['inspection.id'], name=op.f('fk_incident_follow_up_id_inspection')),
    sa.ForeignKeyConstraint(['handler_id'], ['user_account.id'], name=op.f('fk_incident_handler_id_user_account')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'], name=op.f('fk_incident_reported_by_id_user_account')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_incident_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('bulletin_number', name=op.f('uq_incident_bulletin_number')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_incident_client_uuid'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_bureau_id'), ['bureau_id'], unique=False)
        batch_op.create_index('ix_incident_found', ['found_at', 'unit_id'], unique=False)
        batch_op.create_index('ix_incident_status', ['status', 'target_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_unit_id'), ['unit_id'], unique=False)

    op.create_table('incident_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_incident_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_event_incident_id_incident')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_incident_event_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_event'))
    )
    with op.batch_alter_table('incident_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_event_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_event_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('incident_event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachment_incident_event_id'), ['incident_event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_incident_id'), ['incident_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_incident_id_incident'), 'incident', ['incident_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_attachment_incident_event_id_incident_event'), 'incident_event', ['incident_event_id'], ['id'])

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.alter_column('inspection_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('item_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_finding_incident_id'), ['incident_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_finding_incident_id_incident'), 'incident', ['incident_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_finding_source'), '(inspection_id IS NULL) <> (incident_id IS NULL)')

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.alter_column('inspection_id',
               existing_type=sa.INTEGER(),
               nullable=True)



CASE_TICKETS = "SELECT id FROM ticket WHERE inspection_id IS NULL"


def downgrade():
    for statement in (
        f"DELETE FROM ticket_event WHERE ticket_id IN ({CASE_TICKETS})",
        f"DELETE FROM attachment WHERE ticket_id IN ({CASE_TICKETS}) OR incident_id IS NOT NULL",
        f"DELETE FROM extension_request WHERE ticket_id IN ({CASE_TICKETS})",
        "DELETE FROM ticket WHERE inspection_id IS NULL",
        "DELETE FROM finding WHERE incident_id IS NOT NULL",
    ):
        op.execute(statement)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.alter_column('inspection_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_finding_source'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_finding_incident_id_incident'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_finding_incident_id'))
        batch_op.alter_column('item_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('inspection_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('incident_id')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachment_incident_event_id_incident_event'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_attachment_incident_id_incident'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_incident_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_incident_event_id'))
        batch_op.drop_column('incident_event_id')
        batch_op.drop_column('incident_id')

    with op.batch_alter_table('incident_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_event_unit_id'))
        batch_op.drop_index(batch_op.f('ix_incident_event_incident_id'))

    op.drop_table('incident_event')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_unit_id'))
        batch_op.drop_index('ix_incident_status')
        batch_op.drop_index('ix_incident_found')
        batch_op.drop_index(batch_op.f('ix_incident_bureau_id'))

    op.drop_table('incident')
