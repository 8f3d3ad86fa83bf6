"""analytics rollups: the leadership figures summed per slice (scope, unit type, kinds) and month

Empty after the upgrade: a database that already holds inspections is marked `stale`, and the dashboard reads
the records themselves until `flask --app wsgi analytics rebuild` (or the first catch-up task) fills them.

Revision ID: c7a1e5d0f321
Revises: 5c1e2f7a9b34
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a1e5d0f321'
down_revision = '5c1e2f7a9b34'
branch_labels = None
depends_on = None


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
    op.create_table('analytics_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analytics_state'))
    )
    if op.get_bind().execute(sa.text("SELECT 1 FROM inspection LIMIT 1")).first() is not None:
        op.execute("INSERT INTO analytics_state (name, at) VALUES ('stale', CURRENT_TIMESTAMP)")


def downgrade():
    op.drop_table('analytics_state')
    op.drop_table('analytics_backlog')
    op.drop_table('analytics_ticket')
    op.drop_table('analytics_finding')
    op.drop_table('analytics_inspection')
