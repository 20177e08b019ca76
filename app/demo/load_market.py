"""Loading the network and market reference (app.demo.market) and the other miners (app.demo.peers)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.market import attach_quotes, reference_months
from app.demo.peers import COLUMNS, PEERS, peer_months
from app.domain.metrics import NETWORK_METRICS
from app.store.models import Company, CompanyMonth, NetworkMonth, RecordStatus

Upsert = Callable[[Any, bool, dict[str, Any]], None]
# Every CompanyMonth figure a peer row sets; the others stay empty (a gap, never a zero).
PEER_COLUMNS = (*dict.fromkeys(column for column, _ in COLUMNS.values()), "btc_sold_proceeds_usd")


def assign(row: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; report whether anything changed."""
    changed = False
    for key, value in values.items():
        current = getattr(row, key)
        if isinstance(value, Decimal) and current is not None:
            same = Decimal(current) == value
        else:
            same = current == value
        if not same:
            setattr(row, key, value)
            changed = True
    return changed


def primary_source(sources: dict[str, dict[str, Any]]) -> str | None:
    urls = [s["source_url"] for s in sources.values() if s.get("source_url")]
    # Most cited first; ties broken by the URL itself so every run picks the same one.
    return min(set(urls), key=lambda u: (-urls.count(u), u)) if urls else None


def seed_network(session: Session, data_dir: Path, upsert: Upsert) -> None:
    """Every month of the reference file, each figure with its own source; quotes attached as cross-checks."""
    months = reference_months(data_dir / "network_monthly.csv")
    attach_quotes(months, data_dir / "network_quotes.csv")
    existing = {r.period: r for r in session.scalars(select(NetworkMonth))}
    for period, data in sorted(months.items()):
        stored = existing.get(period)
        is_new = stored is None
        upsert(
            stored or NetworkMonth(period=period, version=1),
            is_new,
            {
                **{name: data["values"].get(name) for name in NETWORK_METRICS},
                "figure_sources": data["sources"],
                # Every figure names its own source; a month-wide link would speak for figures it never fed.
                "source_url": None,
                "is_estimate": False,
                "note": None,
                "updated_by": "seed-demo",
            },
        )


def seed_peers(session: Session, data_dir: Path, upsert: Upsert, now: Any) -> None:
    """The other listed miners as companies with their published company-level months (no sites)."""
    months = peer_months(data_dir / "peers_monthly.csv")
    for ticker, peer in PEERS.items():
        company = session.scalar(select(Company).where(Company.slug == peer.slug))
        is_new = company is None
        company = company or Company(slug=peer.slug)
        upsert(
            company,
            is_new,
            {
                "name": peer.name,
                "ticker": peer.ticker,
                "fiscal_year_end_month": peer.fiscal_year_end_month,
                "website_url": peer.website_url,
            },
        )
        session.flush()
        stored = {
            r.period: r for r in session.scalars(select(CompanyMonth).where(CompanyMonth.company_id == company.id))
        }
        for period, data in sorted(months.get(ticker, {}).items()):
            row = stored.get(period)
            is_new = row is None
            row = row or CompanyMonth(company_id=company.id, period=period)
            upsert(
                row,
                is_new,
                {
                    **{name: data["values"].get(name) for name in PEER_COLUMNS},
                    "figure_sources": data["sources"],
                    "source_url": primary_source(data["sources"]),
                    "is_estimate": all(s["is_estimate"] for s in data["sources"].values()),
                    "status": RecordStatus.published,
                    "published_at": row.published_at or now,
                    "updated_by": "seed-demo",
                },
            )
