"""indexes on the units' average scores and self-assessment gaps in the standings: a city's or a district's
rankings and gap list read their ten rows without sorting every unit

Revision ID: 8d3f6a2b9c14
Revises: 5b2e9c41d7a3
Create Date: 2026-12-08 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '8d3f6a2b9c14'
down_revision = '5b2e9c41d7a3'
branch_labels = None
depends_on = None

KINDS = ("bureau", "routine", "special", "spot", "self", "any")
GAP_KINDS = ("bureau", "routine", "special", "spot")


def _scored(kinds):
    return sa.column(f"{kinds}_scored", sa.Integer)


def _average(kinds):
    tenths = sa.column(f"{kinds}_score_tenths", sa.Integer)
    return (sa.cast(tenths, sa.Float) / sa.cast(sa.func.nullif(_scored(kinds), sa.literal_column("0")), sa.Float)
            / sa.cast(sa.literal_column("10"), sa.Float))


def _has_scores(kinds):
    return _scored(kinds) > sa.literal_column("0")


def upgrade():
    for kinds in KINDS:
        where = _has_scores(kinds)
        op.create_index(f"ix_standing_unit_average_{kinds}", "standing_unit",
                        ["preset", _average(kinds)], postgresql_where=where, sqlite_where=where)
    for kinds in GAP_KINDS:
        where = sa.and_(_has_scores("self"), _has_scores(kinds))
        op.create_index(f"ix_standing_unit_gap_{kinds}", "standing_unit",
                        ["preset", _average("self") - _average(kinds)],
                        postgresql_where=where, sqlite_where=where)


def downgrade():
    for kinds in GAP_KINDS:
        op.drop_index(f"ix_standing_unit_gap_{kinds}", table_name="standing_unit")
    for kinds in KINDS:
        op.drop_index(f"ix_standing_unit_average_{kinds}", table_name="standing_unit")
