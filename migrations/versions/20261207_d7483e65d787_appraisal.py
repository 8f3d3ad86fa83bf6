"""appraisal: the annual appraisal's schemes, rounds, results, manual values and adjustments

A scheme version is stored as synced and never changed; a round's results are stored per unit with every indicator
and the records behind it, so an approved round reads the same whatever changes afterwards.

Revision ID: d7483e65d787
Revises: 401ecdb23f28
Create Date: 2026-12-07 12:07:58.814898

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7483e65d787'
down_revision = '401ecdb23f28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appraisal_scheme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('synced_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_scheme')),
    sa.UniqueConstraint('key', 'content_hash', name=op.f('uq_appraisal_scheme_key_content_hash')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_appraisal_scheme_key_version'))
    )
    with op.batch_alter_table('appraisal_scheme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_scheme_key'), ['key'], unique=False)

    op.create_table('appraisal_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'approved')", name=op.f('ck_appraisal_round_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_appraisal_round_approved_by_id_user_account')),
    sa.ForeignKeyConstraint(['area_id'], ['org_node.id'], name=op.f('fk_appraisal_round_area_id_org_node')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_appraisal_round_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['scheme_id'], ['appraisal_scheme.id'], name=op.f('fk_appraisal_round_scheme_id_appraisal_scheme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_round')),
    sa.UniqueConstraint('area_id', 'year', name=op.f('uq_appraisal_round_area_id_year')),
    sa.UniqueConstraint('number', name=op.f('uq_appraisal_round_number'))
    )
    with op.batch_alter_table('appraisal_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_round_area_id'), ['area_id'], unique=False)

    op.create_table('appraisal_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['made_by_id'], ['user_account.id'], name=op.f('fk_appraisal_adjustment_made_by_id_user_account')),
    sa.ForeignKeyConstraint(['round_id'], ['appraisal_round.id'], name=op.f('fk_appraisal_adjustment_round_id_appraisal_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_appraisal_adjustment_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_adjustment'))
    )
    with op.batch_alter_table('appraisal_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_adjustment_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appraisal_adjustment_unit_id'), ['unit_id'], unique=False)

    op.create_table('appraisal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('indicator_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_appraisal_entry_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['round_id'], ['appraisal_round.id'], name=op.f('fk_appraisal_entry_round_id_appraisal_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_appraisal_entry_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_entry')),
    sa.UniqueConstraint('round_id', 'unit_id', 'indicator_key', name=op.f('uq_appraisal_entry_round_id_unit_id_indicator_key'))
    )
    with op.batch_alter_table('appraisal_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_entry_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appraisal_entry_unit_id'), ['unit_id'], unique=False)

    op.create_table('appraisal_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('computed_score', sa.Float(), nullable=True),
    sa.Column('adjustment', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sa.String(length=16), nullable=True),
    sa.Column('vetoed', sa.Boolean(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('indicators_json', sa.Text(), nullable=False),
    sa.Column('vetoes_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['appraisal_round.id'], name=op.f('fk_appraisal_result_round_id_appraisal_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_node.id'], name=op.f('fk_appraisal_result_unit_id_org_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_result')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_appraisal_result_round_id_unit_id'))
    )
    with op.batch_alter_table('appraisal_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_result_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appraisal_result_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('appraisal_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_result_unit_id'))
        batch_op.drop_index(batch_op.f('ix_appraisal_result_round_id'))

    op.drop_table('appraisal_result')
    with op.batch_alter_table('appraisal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_entry_unit_id'))
        batch_op.drop_index(batch_op.f('ix_appraisal_entry_round_id'))

    op.drop_table('appraisal_entry')
    with op.batch_alter_table('appraisal_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_adjustment_unit_id'))
        batch_op.drop_index(batch_op.f('ix_appraisal_adjustment_round_id'))

    op.drop_table('appraisal_adjustment')
    with op.batch_alter_table('appraisal_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_round_area_id'))

    op.drop_table('appraisal_round')
    with op.batch_alter_table('appraisal_scheme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_scheme_key'))

    op.drop_table('appraisal_scheme')
