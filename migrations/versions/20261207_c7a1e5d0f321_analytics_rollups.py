"""analytics rollups: the leadership figures summed per slice (scope, unit type, kinds) and month

Empty after the upgrade: a database that already holds inspections is marked `stale`, and the dashboard reads
the records themselves until `flask --app wsgi analytics rebuild` (or the first catch-up task) fills them.
The data version (one row, written by the first write after the upgrade) keys the pages kept from them.

Revision ID: c7a1e5d0f321
Revises: e2d67b8ab044
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a1e5d0f321'
down_revision = 'e2d67b8ab044'
branch_labels = None
depends_on = None


KINDS = ('bureau', 'routine', 'special', 'spot', 'self', 'any')


def _counts(*names):
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade():
    op.create_table('analytics_inspection',
    sa.Column('slice', sa.String(length=64), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    *_counts('inspections', 'failing', 'scored', 'score_tenths'),
    sa.PrimaryKeyConstraint('slice', 'month', name=op.f('pk_analytics_inspection'))
    )
    op.create_table('analytics_finding',
    sa.Column('slice', sa.String(length=64), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    *_counts('critical', 'serious', 'general', 'repeat'),
    sa.PrimaryKeyConstraint('slice', 'month', 'category', name=op.f('pk_analytics_finding'))
    )
    op.create_table('analytics_ticket',
    sa.Column('slice', sa.String(length=64), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    *_counts('tickets', 'issued', 'accepted', 'on_time', 'late'),
    sa.PrimaryKeyConstraint('slice', 'month', 'days', name=op.f('pk_analytics_ticket'))
    )
    op.create_table('analytics_backlog',
    sa.Column('slice', sa.String(length=64), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    *_counts('tickets'),
    sa.PrimaryKeyConstraint('slice', 'due_date', 'status', name=op.f('pk_analytics_backlog'))
    )
    op.create_table('analytics_unit_backlog',
    sa.Column('kinds', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=False),
    sa.Column('unit_type', sa.String(length=32), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    *_counts('tickets'),
    sa.PrimaryKeyConstraint('kinds', 'unit_id', 'parent_id', 'root_id', 'unit_type', 'due_date',
                            name=op.f('pk_analytics_unit_backlog'))
    )
    op.create_index('ix_analytics_unit_backlog_root', 'analytics_unit_backlog', ['kinds', 'root_id', 'due_date'])
    op.create_index('ix_analytics_unit_backlog_parent', 'analytics_unit_backlog', ['kinds', 'parent_id', 'due_date'])
    op.create_table('standing_unit',
    sa.Column('preset', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=False),
    sa.Column('unit_type', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    *_counts(*(f'{kinds}_{measure}' for kinds in KINDS for measure in ('inspections', 'scored', 'score_tenths'))),
    sa.PrimaryKeyConstraint('preset', 'unit_id', 'parent_id', 'root_id', 'unit_type', 'active',
                            name=op.f('pk_standing_unit'))
    )
    op.create_index('ix_standing_unit_root', 'standing_unit', ['preset', 'root_id'])
    op.create_index('ix_standing_unit_parent', 'standing_unit', ['preset', 'parent_id'])
    op.create_table('standing_slice',
    sa.Column('preset', sa.String(length=16), nullable=False),
    sa.Column('slice', sa.String(length=64), nullable=False),
    *_counts('units_active', 'units_covered', 'gap_units', 'scored', 'score_tenths'),
    sa.PrimaryKeyConstraint('preset', 'slice', name=op.f('pk_standing_slice'))
    )
    op.create_table('standing_item',
    sa.Column('preset', sa.String(length=16), nullable=False),
    sa.Column('slice', sa.String(length=64), nullable=False),
    sa.Column('template_key', sa.String(length=64), nullable=False),
    sa.Column('item_key', sa.String(length=16), nullable=False),
    *_counts('findings', 'units'),
    sa.PrimaryKeyConstraint('preset', 'slice', 'template_key', 'item_key', name=op.f('pk_standing_item'))
    )
    op.create_table('analytics_window',
    sa.Column('preset', sa.String(length=16), nullable=False),
    sa.Column('first', sa.Date(), nullable=False),
    sa.Column('last', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('preset', name=op.f('pk_analytics_window'))
    )
    op.create_table('analytics_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analytics_state'))
    )
    if op.get_bind().execute(sa.text("SELECT 1 FROM inspection LIMIT 1")).first() is not None:
        op.execute("INSERT INTO analytics_state (name, at) VALUES ('stale', CURRENT_TIMESTAMP)")
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )


def downgrade():
    op.drop_table('data_version')
    op.drop_table('analytics_state')
    op.drop_table('analytics_window')
    op.drop_table('standing_item')
    op.drop_table('standing_slice')
    op.drop_index('ix_standing_unit_parent', table_name='standing_unit')
    op.drop_index('ix_standing_unit_root', table_name='standing_unit')
    op.drop_table('standing_unit')
    op.drop_index('ix_analytics_unit_backlog_parent', table_name='analytics_unit_backlog')
    op.drop_index('ix_analytics_unit_backlog_root', table_name='analytics_unit_backlog')
    op.drop_table('analytics_unit_backlog')
    op.drop_table('analytics_backlog')
    op.drop_table('analytics_ticket')
    op.drop_table('analytics_finding')
    op.drop_table('analytics_inspection')
