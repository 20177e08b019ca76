"""a site's capacity over time: `site_capacity` (site, effective month, MW, source), seeded from each site's
capacity at its energized month (or the month the site was created when that is unknown)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:00:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _month(value: object) -> dt.date:
    # SQLite hands back text for a DATE or timestamp read with plain SQL; Postgres a date or datetime.
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    assert isinstance(value, dt.date)
    return value.replace(day=1)


def upgrade() -> None:
    table = op.create_table(
        "site_capacity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("capacity_mw", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("capacity_mw >= 0", name=op.f("ck_site_capacity_capacity_non_negative")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_capacity_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_capacity")),
        sa.UniqueConstraint("site_id", "effective_on", name=op.f("uq_site_capacity_site_id_effective_on")),
    )
    # Each site's one known capacity becomes its first entry, dated when the site started operating.
    sites = op.get_bind().execute(
        sa.text("SELECT id, capacity_mw, energized_on, created_at FROM site WHERE capacity_mw IS NOT NULL")
    )
    rows = [
        {
            "site_id": site_id,
            "effective_on": _month(energized if energized is not None else created),
            "capacity_mw": capacity,
        }
        for site_id, capacity, energized, created in sites
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("site_capacity")
