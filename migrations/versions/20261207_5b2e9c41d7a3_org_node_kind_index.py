"""an index on org_node.kind: the bureaus units hang from are a handful among tens of thousands of units

Revision ID: 5b2e9c41d7a3
Revises: c7a1e5d0f321
Create Date: 2026-12-07 23:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b2e9c41d7a3'
down_revision = 'c7a1e5d0f321'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_org_node_kind', 'org_node', ['kind'])


def downgrade():
    op.drop_index('ix_org_node_kind', table_name='org_node')
