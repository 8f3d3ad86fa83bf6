"""answer write ids per inspection: a client UUID is unique within its inspection, not across all

A write's UUID names it in the inspection it was sent to; the same UUID sent to another inspection is another
write (and a lookup across inspections could hand one scope's answer to another).

Revision ID: fde3228ba5ea
Revises: 93eb2b1d89bd
Create Date: 2026-11-29 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fde3228ba5ea'
down_revision = '93eb2b1d89bd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer_revision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_answer_revision_client_uuid', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_answer_revision_inspection_id_client_uuid'),
                                          ['inspection_id', 'client_uuid'])


def downgrade():
    # Fails where one UUID was meanwhile used in two inspections; such rows must be renamed first.
    with op.batch_alter_table('answer_revision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_answer_revision_inspection_id_client_uuid'), type_='unique')
        batch_op.create_unique_constraint('uq_answer_revision_client_uuid', ['client_uuid'])
