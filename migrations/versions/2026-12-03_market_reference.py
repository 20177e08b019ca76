"""market reference: the network month gains average difficulty, blocks, subsidy, fees and the month-end BTC
price, and a version (If-Match for staff and API writes) and who changed it last

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKS = (
    ("difficulty_avg_positive", "network_difficulty_avg_t IS NULL OR network_difficulty_avg_t > 0"),
    ("blocks_non_negative", "network_blocks IS NULL OR network_blocks >= 0"),
    ("subsidy_non_negative", "network_subsidy_btc IS NULL OR network_subsidy_btc >= 0"),
    ("fees_non_negative", "network_fees_btc IS NULL OR network_fees_btc >= 0"),
    ("close_positive", "btc_price_close_usd IS NULL OR btc_price_close_usd > 0"),
    ("version_positive", "version >= 1"),
)


def upgrade() -> None:
    # Batch mode: SQLite cannot add a CHECK constraint to an existing table in place.
    with op.batch_alter_table("network_month") as batch:
        batch.add_column(sa.Column("network_difficulty_avg_t", sa.Numeric(precision=14, scale=4), nullable=True))
        batch.add_column(sa.Column("network_blocks", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("network_subsidy_btc", sa.Numeric(precision=18, scale=8), nullable=True))
        batch.add_column(sa.Column("network_fees_btc", sa.Numeric(precision=18, scale=8), nullable=True))
        batch.add_column(sa.Column("btc_price_close_usd", sa.Numeric(precision=18, scale=2), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("updated_by", sa.String(length=200), nullable=True))
        for name, condition in _CHECKS:
            batch.create_check_constraint(op.f(f"ck_network_month_{name}"), condition)
    # Overviews stored before this release lack the market charts and quarters: build them again on demand.
    op.execute("DELETE FROM page_snapshot")


def downgrade() -> None:
    with op.batch_alter_table("network_month") as batch:
        for name, _ in reversed(_CHECKS):
            batch.drop_constraint(op.f(f"ck_network_month_{name}"), type_="check")
        for column in (
            "updated_by",
            "version",
            "btc_price_close_usd",
            "network_fees_btc",
            "network_subsidy_btc",
            "network_blocks",
            "network_difficulty_avg_t",
        ):
            batch.drop_column(column)
