"""site_month's (site_id, period) index carries the columns the overview's summary, releases and reported spans
read, so those statements read the index alone: on Postgres the unique constraint gains INCLUDE columns (no second
index on the same keys), on SQLite, which has no INCLUDE, a second index has them as key columns

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.store.models.figures.SITE_MONTH_COVERED (a migration keeps its own copy: the model may change later).
COVERED = ["status", "published_at", "revised_at", "updated_at"]
UNIQUE = "uq_site_month_site_id_period"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Rebuilt in place, under the same name: the table is locked while the index builds (well under a second
        # for a quarter of a million rows). Run VACUUM (ANALYZE) site_month afterwards: an index-only scan reads
        # the table for every page the visibility map does not mark all-visible.
        # Spelled out: op.create_unique_constraint's table knows only the key columns and cannot render INCLUDE.
        op.drop_constraint(UNIQUE, "site_month", type_="unique")
        op.execute(
            f"ALTER TABLE site_month ADD CONSTRAINT {UNIQUE} UNIQUE (site_id, period) INCLUDE ({', '.join(COVERED)})"
        )
    else:
        op.create_index("ix_site_month_covering", "site_month", ["site_id", "period", *COVERED])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(UNIQUE, "site_month", type_="unique")
        op.create_unique_constraint(UNIQUE, "site_month", ["site_id", "period"])
    else:
        op.drop_index("ix_site_month_covering", table_name="site_month")
