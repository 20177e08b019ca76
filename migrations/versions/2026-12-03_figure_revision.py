"""figure history: every published value of each figure (company or site × month × metric) with its own source,
estimate flag, when, by which role and why; existing published months get one entry per figure, carrying the
row's source over to its figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The stored figures as this migration knows them (later metrics are recorded by the app when published).
_OPERATING = (
    "hashrate_avg_ehs",
    "hashrate_end_ehs",
    "hashrate_deployed_ehs",
    "fleet_efficiency_jth",
    "miners_deployed",
    "power_capacity_mw",
)
COMPANY_FIGURES = ("btc_mined_total", "btc_held_end", "btc_sold", "btc_sold_proceeds_usd", *_OPERATING)
SITE_FIGURES = (
    "btc_mined",
    *_OPERATING,
    "energy_mwh",
    "power_cost_usd_kwh",
    "uptime_pct",
    "curtailment_hours",
    "power_credits_usd",
)
_ROW = ("period", "source_url", "is_estimate", "figure_sources", "status", "published_at", "updated_at")
_ROW += ("revision_reason", "updated_by")


_TYPES: dict[str, Any] = {
    "period": sa.Date(),
    "source_url": sa.String(),
    "is_estimate": sa.Boolean(),
    "figure_sources": sa.JSON(),
    "status": sa.String(),
    "published_at": sa.DateTime(timezone=True),
    "updated_at": sa.DateTime(timezone=True),
    "revision_reason": sa.Text(),
    "updated_by": sa.String(),
}


def _table(name: str, key: str, figures: Sequence[str]) -> sa.TableClause:
    return sa.table(
        name,
        sa.column(key, sa.Integer()),
        *(sa.column(c, _TYPES[c]) for c in _ROW),
        *(sa.column(f, sa.Numeric(28, 8)) for f in figures),
    )


def _role(updated_by: str | None, roles: dict[str, str]) -> str:
    # A role for investors, never the person: the audit table keeps who it was.
    label = updated_by or ""
    if label.startswith("token:"):
        return "token"
    if label.startswith("cli:") or label == "seed-demo":
        return "cli"
    if label in roles:
        return roles[label]
    return "editor" if "@" in label else "system"


def _entries(
    conn: sa.Connection, kind: str, rows: Any, figures: Sequence[str], owner: dict[int, int], roles: dict[str, str]
) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    out: list[dict[str, Any]] = []
    for row in rows:
        data = row._mapping
        if data["status"] != "published":
            continue
        per_figure = data["figure_sources"] or {}
        if isinstance(per_figure, str):  # a JSON column read back as text
            per_figure = json.loads(per_figure) or {}
        published_at = data["published_at"] or data["updated_at"] or now
        entity_id = data["entity_id"]
        for metric in figures:
            value = data[metric]
            if value is None:
                continue
            own = per_figure.get(metric) or {}
            out.append(
                {
                    "company_id": owner[entity_id] if kind == "site" else entity_id,
                    "entity_kind": kind,
                    "entity_id": entity_id,
                    "period": data["period"],
                    "metric": metric,
                    "value": value,
                    # The month's own source becomes each figure's, unless the figure had one of its own.
                    "source_url": (own.get("source_url") or None) if own else data["source_url"],
                    "source_title": (own.get("title") or None) if own else None,
                    "quote": (own.get("quote") or None) if own else None,
                    "is_estimate": bool(own.get("is_estimate", data["is_estimate"]))
                    if own
                    else bool(data["is_estimate"]),
                    "published_at": published_at,
                    "recorded_at": now,
                    "actor_role": _role(data["updated_by"], roles),
                    "reason": data["revision_reason"],
                }
            )
    return out


def upgrade() -> None:
    history = op.create_table(
        "figure_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("entity_kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Numeric(precision=28, scale=8), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("source_title", sa.String(length=300), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("is_estimate", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("entity_kind IN ('company', 'site')", name=op.f("ck_figure_revision_entity_kind")),
        sa.CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= published_at",
            name=op.f("ck_figure_revision_superseded_after_published"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_figure_revision_company_id_company"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_revision")),
    )
    op.create_index("ix_figure_revision_company_period", "figure_revision", ["company_id", "period"])
    op.create_index("ix_figure_revision_figure", "figure_revision", ["entity_kind", "entity_id", "period", "metric"])

    conn = op.get_bind()
    owner = {i: c for i, c in conn.execute(sa.text("SELECT id, company_id FROM site"))}
    roles = {e: r for e, r in conn.execute(sa.text("SELECT email, role FROM app_user"))}
    company_month = _table("company_month", "company_id", COMPANY_FIGURES)
    site_month = _table("site_month", "site_id", SITE_FIGURES)
    rows = conn.execute(sa.select(company_month.c.company_id.label("entity_id"), *list(company_month.c)[1:]))
    entries = _entries(conn, "company", rows, COMPANY_FIGURES, owner, roles)
    rows = conn.execute(sa.select(site_month.c.site_id.label("entity_id"), *list(site_month.c)[1:]))
    entries += _entries(conn, "site", rows, SITE_FIGURES, owner, roles)
    if entries:
        op.bulk_insert(history, entries)
    # Stored pages were rendered without per-figure revisions: build them again on demand.
    op.execute("DELETE FROM page_snapshot")


def downgrade() -> None:
    op.drop_index("ix_figure_revision_figure", table_name="figure_revision")
    op.drop_index("ix_figure_revision_company_period", table_name="figure_revision")
    op.drop_table("figure_revision")
