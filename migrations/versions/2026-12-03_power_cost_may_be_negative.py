"""the all-in power cost may be negative: net of power sales and demand-response credits, it falls below zero
when the credits exceed the bill (the metric dictionary says so; the plausible range becomes −10 … 10 USD/kWh)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_site_month_power_cost_plausible"


def _replace(condition: str) -> None:
    # Batch mode: SQLite rebuilds the table with the new constraint; Postgres alters it in place.
    with op.batch_alter_table("site_month") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), condition)


def upgrade() -> None:
    _replace("power_cost_usd_kwh IS NULL OR power_cost_usd_kwh BETWEEN -10 AND 10")


def downgrade() -> None:
    # A negative cost stored meanwhile cannot satisfy the old rule: it is kept as missing rather than lost
    # silently in a failed downgrade.
    op.execute("UPDATE site_month SET power_cost_usd_kwh = NULL WHERE power_cost_usd_kwh < 0")
    _replace("power_cost_usd_kwh IS NULL OR power_cost_usd_kwh BETWEEN 0 AND 10")
