"""registers and sampling: the unit's 台账 (涉密人员, 涉密载体, 涉密设备, 定密责任人, 国家秘密事项,
要害部门部位), the draws an inspection makes from them with each entry's check, and the register a checklist
item samples

Every register row is unit-owned and numbered uniquely in its unit's register; a draw is unique per inspection
and item. The new checklist_item column is empty for every item synced before.

Revision ID: 401ecdb23f28
Revises: cfb4c7ccec21
Create Date: 2026-12-07 11:57:45.887540

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '401ecdb23f28'
down_revision = 'cfb4c7ccec21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('register_carrier',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('copied_on', sa.Date(), nullable=True),
    sa.Column('secret_until', sa.Date(), nullable=True),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.Column('destroyed_on', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_register_carrier_unit_id_org_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_register_carrier_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_carrier')),
    sa.UniqueConstraint('unit_id', 'number', name=op.f('uq_register_carrier_unit_id_number'))
    )
    op.create_table('register_classifier',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('post', sa.String(length=120), nullable=False),
    sa.Column('authority', sa.String(length=16), nullable=False),
    sa.Column('appointed_by', sa.String(length=120), nullable=False),
    sa.Column('appointed_on', sa.Date(), nullable=True),
    sa.Column('dismissed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_register_classifier_unit_id_org_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_register_classifier_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_classifier')),
    sa.UniqueConstraint('unit_id', 'number', name=op.f('uq_register_classifier_unit_id_number'))
    )
    op.create_table('register_device',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.Column('responsible', sa.String(length=64), nullable=False),
    sa.Column('dedicated', sa.Boolean(), nullable=False),
    sa.Column('red_black_power', sa.Boolean(), nullable=True),
    sa.Column('video_jammer', sa.Boolean(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_register_device_unit_id_org_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_register_device_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_device')),
    sa.UniqueConstraint('unit_id', 'number', name=op.f('uq_register_device_unit_id_number'))
    )
    op.create_table('register_key_place',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('responsible', sa.String(length=64), nullable=True),
    sa.Column('confirmed_on', sa.Date(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=120), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_register_key_place_unit_id_org_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_register_key_place_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_key_place')),
    sa.UniqueConstraint('unit_id', 'number', name=op.f('uq_register_key_place_unit_id_number'))
    )
    op.create_table('register_matter',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('period_years', sa.Integer(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=True),
    sa.Column('classifier', sa.String(length=64), nullable=True),
    sa.Column('determined_on', sa.Date(), nullable=True),
    sa.Column('declassify_on', sa.Date(), nullable=True),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_register_matter_unit_id_org_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_register_matter_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_matter')),
    sa.UniqueConstraint('unit_id', 'number', name=op.f('uq_register_matter_unit_id_number'))
    )
    op.create_table('register_person',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('post', sa.String(length=120), nullable=False),
    sa.Column('person_class', sa.String(length=16), nullable=False),
    sa.Column('vetted_on', sa.Date(), nullable=True),
    sa.Column('pledged_on', sa.Date(), nullable=True),
    sa.Column('trained_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('declear_until', sa.Date(), nullable=True),
    sa.Column('released_on', sa.Date(), nullable=True),
    sa.Column('exit_approvals', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_register_person_unit_id_org_node')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_register_person_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_person')),
    sa.UniqueConstraint('unit_id', 'number', name=op.f('uq_register_person_unit_id_number'))
    )
    op.create_table('sample_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('register', sa.String(length=16), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('population_json', sa.Text(), nullable=False),
    sa.Column('entries_json', sa.Text(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['user_account.id'], name=op.f('fk_sample_draw_drawn_by_id_user_account')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_sample_draw_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_sample_draw_item_id_checklist_item')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_sample_draw_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_draw')),
    sa.UniqueConstraint('inspection_id', 'item_id', name=op.f('uq_sample_draw_inspection_id_item_id'))
    )
    with op.batch_alter_table('sample_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_draw_unit_id'), ['unit_id'], unique=False)

    op.create_table('sample_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['user_account.id'], name=op.f('fk_sample_check_checked_by_id_user_account')),
    sa.ForeignKeyConstraint(['draw_id'], ['sample_draw.id'], name=op.f('fk_sample_check_draw_id_sample_draw')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_sample_check_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_check')),
    sa.UniqueConstraint('draw_id', 'entry_id', name=op.f('uq_sample_check_draw_id_entry_id'))
    )
    with op.batch_alter_table('sample_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_check_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sample_json', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.drop_column('sample_json')

    with op.batch_alter_table('sample_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_check_unit_id'))

    op.drop_table('sample_check')
    with op.batch_alter_table('sample_draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_draw_unit_id'))

    op.drop_table('sample_draw')
    op.drop_table('register_person')
    op.drop_table('register_matter')
    op.drop_table('register_key_place')
    op.drop_table('register_device')
    op.drop_table('register_classifier')
    op.drop_table('register_carrier')
