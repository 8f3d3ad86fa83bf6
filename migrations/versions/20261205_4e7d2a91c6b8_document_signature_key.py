"""document signature key: which SM2 key signed each issued PDF

A document issued signed whose copy carries no signature then reads as not genuine, not as unsigned; documents
issued before signing keep NULL and read as not signed.

Revision ID: 4e7d2a91c6b8
Revises: 5c1e2f7a9b34
Create Date: 2026-12-05 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4e7d2a91c6b8'
down_revision = '5c1e2f7a9b34'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature_key_id', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('signature_key_id')
