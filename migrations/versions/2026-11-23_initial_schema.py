"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:30:26.882930
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ticker", sa.String(length=16), nullable=True),
        sa.Column("fiscal_year_end_month", sa.Integer(), server_default="12", nullable=False),
        sa.Column("website_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("slug <> ''", name=op.f("ck_company_slug_not_empty")),
        sa.CheckConstraint("fiscal_year_end_month BETWEEN 1 AND 12", name=op.f("ck_company_fiscal_year_end_month")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company")),
        sa.UniqueConstraint("slug", name=op.f("uq_company_slug")),
    )
    op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_revision_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_revision")),
    )
    op.create_table(
        "network_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("network_hashrate_avg_ehs", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("network_difficulty_t", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("btc_price_avg_usd", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("is_estimate", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("figure_sources", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "btc_price_avg_usd IS NULL OR btc_price_avg_usd > 0", name=op.f("ck_network_month_price_positive")
        ),
        sa.CheckConstraint(
            "network_difficulty_t IS NULL OR network_difficulty_t > 0",
            name=op.f("ck_network_month_difficulty_positive"),
        ),
        sa.CheckConstraint(
            "network_hashrate_avg_ehs IS NULL OR network_hashrate_avg_ehs > 0",
            name=op.f("ck_network_month_hashrate_positive"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_month")),
        sa.UniqueConstraint("period", name=op.f("uq_network_month_period")),
    )
    op.create_table(
        "company_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("btc_mined_total", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("btc_held_end", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("btc_sold", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("btc_sold_proceeds_usd", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("hashrate_avg_ehs", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("hashrate_end_ehs", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("hashrate_deployed_ehs", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("fleet_efficiency_jth", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("miners_deployed", sa.Integer(), nullable=True),
        sa.Column("power_capacity_mw", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("is_estimate", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("figure_sources", sa.JSON(), server_default="{}", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision_reason", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "btc_held_end IS NULL OR btc_held_end >= 0", name=op.f("ck_company_month_btc_held_non_negative")
        ),
        sa.CheckConstraint(
            "btc_mined_total IS NULL OR btc_mined_total >= 0",
            name=op.f("ck_company_month_btc_mined_total_non_negative"),
        ),
        sa.CheckConstraint("btc_sold IS NULL OR btc_sold >= 0", name=op.f("ck_company_month_btc_sold_non_negative")),
        sa.CheckConstraint(
            "btc_sold_proceeds_usd IS NULL OR btc_sold_proceeds_usd >= 0",
            name=op.f("ck_company_month_proceeds_non_negative"),
        ),
        sa.CheckConstraint(
            "fleet_efficiency_jth IS NULL OR fleet_efficiency_jth BETWEEN 5 AND 200",
            name=op.f("ck_company_month_efficiency_plausible"),
        ),
        sa.CheckConstraint(
            "hashrate_avg_ehs IS NULL OR hashrate_avg_ehs >= 0",
            name=op.f("ck_company_month_hashrate_avg_non_negative"),
        ),
        sa.CheckConstraint(
            "hashrate_deployed_ehs IS NULL OR hashrate_deployed_ehs >= 0",
            name=op.f("ck_company_month_hashrate_deployed_non_negative"),
        ),
        sa.CheckConstraint(
            "hashrate_end_ehs IS NULL OR hashrate_end_ehs >= 0",
            name=op.f("ck_company_month_hashrate_end_non_negative"),
        ),
        sa.CheckConstraint(
            "miners_deployed IS NULL OR miners_deployed >= 0",
            name=op.f("ck_company_month_miners_non_negative"),
        ),
        sa.CheckConstraint(
            "power_capacity_mw IS NULL OR power_capacity_mw >= 0",
            name=op.f("ck_company_month_power_non_negative"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_company_month_version_positive")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_company_month_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_month")),
        sa.UniqueConstraint("company_id", "period", name=op.f("uq_company_month_company_id_period")),
    )
    with op.batch_alter_table("company_month", schema=None) as batch_op:
        batch_op.create_index("ix_company_month_period_status", ["period", "status"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "under_construction",
                "operating",
                "retired",
                name="site_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default="operating",
            nullable=False,
        ),
        sa.Column("capacity_mw", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("energized_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("capacity_mw IS NULL OR capacity_mw >= 0", name=op.f("ck_site_capacity_non_negative")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_site_company_id_company"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("company_id", "slug", name=op.f("uq_site_company_id_slug")),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "halving",
                "weather",
                "curtailment",
                "expansion",
                "acquisition",
                "other",
                name="event_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("title <> ''", name=op.f("ck_event_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_event_company_id_company"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_event_site_id_site"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("company_id", "date", "title", name=op.f("uq_event_company_id_date_title")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_date", ["date"], unique=False)

    op.create_table(
        "site_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("is_illustrative", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("btc_mined", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("hashrate_avg_ehs", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("hashrate_end_ehs", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("hashrate_deployed_ehs", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("fleet_efficiency_jth", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("miners_deployed", sa.Integer(), nullable=True),
        sa.Column("power_capacity_mw", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("energy_mwh", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("power_cost_usd_kwh", sa.Numeric(precision=8, scale=5), nullable=True),
        sa.Column("uptime_pct", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("curtailment_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("power_credits_usd", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("is_estimate", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("figure_sources", sa.JSON(), server_default="{}", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision_reason", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("btc_mined IS NULL OR btc_mined >= 0", name=op.f("ck_site_month_btc_mined_non_negative")),
        sa.CheckConstraint(
            "curtailment_hours IS NULL OR curtailment_hours BETWEEN 0 AND 744",
            name=op.f("ck_site_month_curtailment_range"),
        ),
        sa.CheckConstraint("energy_mwh IS NULL OR energy_mwh >= 0", name=op.f("ck_site_month_energy_non_negative")),
        sa.CheckConstraint(
            "fleet_efficiency_jth IS NULL OR fleet_efficiency_jth BETWEEN 5 AND 200",
            name=op.f("ck_site_month_efficiency_plausible"),
        ),
        sa.CheckConstraint(
            "hashrate_avg_ehs IS NULL OR hashrate_avg_ehs >= 0",
            name=op.f("ck_site_month_hashrate_avg_non_negative"),
        ),
        sa.CheckConstraint(
            "hashrate_deployed_ehs IS NULL OR hashrate_deployed_ehs >= 0",
            name=op.f("ck_site_month_hashrate_deployed_non_negative"),
        ),
        sa.CheckConstraint(
            "hashrate_end_ehs IS NULL OR hashrate_end_ehs >= 0",
            name=op.f("ck_site_month_hashrate_end_non_negative"),
        ),
        sa.CheckConstraint(
            "miners_deployed IS NULL OR miners_deployed >= 0", name=op.f("ck_site_month_miners_non_negative")
        ),
        sa.CheckConstraint(
            "power_capacity_mw IS NULL OR power_capacity_mw >= 0",
            name=op.f("ck_site_month_power_non_negative"),
        ),
        sa.CheckConstraint(
            "power_cost_usd_kwh IS NULL OR power_cost_usd_kwh BETWEEN 0 AND 10",
            name=op.f("ck_site_month_power_cost_plausible"),
        ),
        sa.CheckConstraint(
            "uptime_pct IS NULL OR uptime_pct BETWEEN 0 AND 100", name=op.f("ck_site_month_uptime_range")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_site_month_version_positive")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_site_month_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_month")),
        sa.UniqueConstraint("site_id", "period", name=op.f("uq_site_month_site_id_period")),
    )
    with op.batch_alter_table("site_month", schema=None) as batch_op:
        batch_op.create_index("ix_site_month_period_status", ["period", "status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("site_month", schema=None) as batch_op:
        batch_op.drop_index("ix_site_month_period_status")

    op.drop_table("site_month")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_date")

    op.drop_table("event")
    op.drop_table("site")
    with op.batch_alter_table("company_month", schema=None) as batch_op:
        batch_op.drop_index("ix_company_month_period_status")

    op.drop_table("company_month")
    op.drop_table("network_month")
    op.drop_table("data_revision")
    op.drop_table("company")
