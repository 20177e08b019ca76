"""Loading the demo figures (app.demo.figures) into the database: idempotent upserts, one revision bump."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.figures import (
    COMPANY_COLUMNS,
    DATA_DIR,
    HALVING,
    ILLUSTRATIVE_NOTE,
    SITES,
    SPLIT_METRICS,
    EventSpec,
    Figure,
    company_months,
    month_of,
    read_figures,
    share_of,
    split_total,
)
from app.demo.load_market import assign, primary_source, seed_network, seed_peers
from app.store.models import (
    Company,
    CompanyMonth,
    Event,
    RecordStatus,
    Site,
    SiteMonth,
    SiteStatus,
    utcnow,
)
from app.store.queries import bump_data_revision
from app.store.queries.figure_history import record_published
from app.store.queries.site_life import seed_site_capacity


def seed_demo(*, session: Session, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Load (or bring up to date) the demo data: CleanSpark (with an illustrative site split), the network and
    market reference, and the other listed miners' company figures. Returns counts of rows written."""
    counts = {"created": 0, "updated": 0}
    now = utcnow()

    def upsert(row: Any, is_new: bool, values: dict[str, Any]) -> None:
        if assign(row, values) or is_new:
            if is_new:
                session.add(row)
                counts["created"] += 1
            else:
                counts["updated"] += 1

    company = session.scalar(select(Company).where(Company.slug == "cleanspark"))
    is_new = company is None
    company = company or Company(slug="cleanspark")
    upsert(
        company,
        is_new,
        {
            "name": "CleanSpark",
            "ticker": "CLSK",
            "fiscal_year_end_month": 9,
            "website_url": "https://www.cleanspark.com/",
        },
    )
    session.flush()

    sites: dict[str, Site] = {}
    for spec in SITES:
        site = session.scalar(select(Site).where(Site.company_id == company.id, Site.slug == spec["slug"]))
        is_new = site is None
        site = site or Site(company_id=company.id, slug=spec["slug"])
        upsert(
            site,
            is_new,
            {
                **spec,
                "status": SiteStatus.operating,
                "note": "Capacity and energized date are illustrative for the demo.",
            },
        )
        sites[spec["slug"]] = site
    session.flush()
    for site in sites.values():
        seed_site_capacity(site, session=session)

    months, event_rows = company_months(read_figures(data_dir / "cleanspark_monthly.csv"))
    existing_cm = {
        r.period: r for r in session.scalars(select(CompanyMonth).where(CompanyMonth.company_id == company.id))
    }
    existing_sm = {
        (r.site_id, r.period): r
        for r in session.scalars(select(SiteMonth).where(SiteMonth.site_id.in_([s.id for s in sites.values()])))
    }
    for period_text, data in sorted(months.items()):
        period = month_of(period_text)
        row = existing_cm.get(period)
        is_new = row is None
        row = row or CompanyMonth(company_id=company.id, period=period)
        values = {name: data["values"].get(name) for name in (*set(COMPANY_COLUMNS.values()), "btc_sold_proceeds_usd")}
        upsert(
            row,
            is_new,
            {
                **values,
                "figure_sources": data["sources"],
                "source_url": primary_source(data["sources"]),
                "is_estimate": all(s["is_estimate"] for s in data["sources"].values()) if data["sources"] else False,
                "note": "; ".join(data["notes"]) or None,
                "status": RecordStatus.published,
                "published_at": row.published_at or now,
                "updated_by": "seed-demo",
            },
        )
        _seed_site_split(session, sites, existing_sm, period, data, upsert, now)

    seed_network(session, data_dir, upsert)
    seed_peers(session, data_dir, upsert, now)

    _seed_events(session, company, sites, event_rows, upsert)
    session.flush()
    # Every published figure gets its first published value (and a changed one a new value), as a publish would.
    record_published(
        session=session,
        rows=[*session.scalars(select(CompanyMonth)), *session.scalars(select(SiteMonth))],
        role="cli",
        reason=None,
        now=now,
    )
    if counts["created"] or counts["updated"]:
        bump_data_revision(session=session)
    return counts


def _seed_site_split(
    session: Session,
    sites: dict[str, Site],
    existing: dict[tuple[int, dt.date], SiteMonth],
    period: dt.date,
    data: dict[str, Any],
    upsert: Any,
    now: dt.datetime,
) -> None:
    totals = {k: data["values"].get(k) for k in SPLIT_METRICS}
    if all(v is None for v in totals.values()):
        return  # nothing to split: the month stays a gap at site level too
    shares = share_of(period)
    per_site: dict[str, dict[str, Any]] = {slug: {} for slug in shares}
    for company_col, (site_col, step) in SPLIT_METRICS.items():
        total = totals[company_col]
        if total is None:
            continue
        for slug, part in split_total(Decimal(total), shares, step).items():
            per_site[slug][site_col] = int(part) if site_col == "miners_deployed" else part
    efficiency = data["values"].get("fleet_efficiency_jth")
    for slug, values in per_site.items():
        site = sites[slug]
        row = existing.get((site.id, period))
        is_new = row is None
        row = row or SiteMonth(site_id=site.id, period=period)
        full = {col: values.get(col) for col, _ in SPLIT_METRICS.values()}
        # Every site gets the fleet's efficiency, so the weighted mean equals the published figure.
        full["fleet_efficiency_jth"] = efficiency
        upsert(
            row,
            is_new,
            {
                **full,
                "is_illustrative": True,
                "is_estimate": True,
                "source_url": primary_source(data["sources"]),
                "note": ILLUSTRATIVE_NOTE,
                "status": RecordStatus.published,
                "published_at": row.published_at or now,
                "updated_by": "seed-demo",
            },
        )


def _seed_events(
    session: Session,
    company: Company,
    sites: dict[str, Site],
    event_rows: list[tuple[Figure, EventSpec]],
    upsert: Any,
) -> None:
    existing = {(e.company_id, e.date, e.title): e for e in session.scalars(select(Event))}
    wanted: list[dict[str, Any]] = [{**HALVING, "company_id": None, "site_id": None, "description": None}]
    for figure, spec in event_rows:
        wanted.append(
            {
                "date": spec.date,
                "title": spec.title,
                "kind": spec.kind,
                "company_id": company.id,
                "site_id": sites[spec.site].id if spec.site else None,
                "source_url": figure.source_url or None,
                "description": figure.quote,
            }
        )
    for values in wanted:
        key = (values["company_id"], values["date"], values["title"])
        row = existing.get(key)
        is_new = row is None
        row = row or Event()
        upsert(row, is_new, values)
