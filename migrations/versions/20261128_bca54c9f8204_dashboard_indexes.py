"""dashboard indexes: covering indexes for the leadership figures

The dashboard counts a period's inspections, their findings and the period's tickets. Each index holds
every column those aggregates read, so SQLite and PostgreSQL answer them from the index alone, in date or
inspection order, instead of fetching 100,000 table rows (see services/analytics.py and
benchmarks/dashboard.py). Adding them rewrites no table.

Revision ID: bca54c9f8204
Revises: bd1d6aff9f82
Create Date: 2026-11-28 04:37:46.427414

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bca54c9f8204'
down_revision = 'bd1d6aff9f82'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index('ix_finding_figures', ['inspection_id', 'status', 'category', 'severity', 'is_repeat', 'template_key', 'item_key', 'unit_id'], unique=False)

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_done', ['status', 'submitted_at', 'kind', 'unit_id', 'score', 'band', 'id'], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_created', ['created_at', 'inspection_id', 'status', 'due_date', 'accepted_at'], unique=False)



def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_created')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_done')

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_figures')

