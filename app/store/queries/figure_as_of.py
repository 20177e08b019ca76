"""A company's figures exactly as they were published at a moment ("as of"), rebuilt from the figure history.

Each figure takes the value whose entry was published by then and not yet superseded; a month published later
is absent, a figure corrected later shows its old value with its source of the time. Network and market
reference figures are shared data without a published history: they are today's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.figure_history import HistoryEntry
from app.domain.provenance import apply_history
from app.domain.reports import MonthView, add_months, build_company_series
from app.store.models import Company, NetworkMonth, Site, SiteMonth
from app.store.queries.figure_history import COMPANY_FIGURES, SITE_FIGURES, list_history


class _PublishedRow:
    """A month row as it stood: the attributes `build_company_series` reads, each figure with its own source."""

    def __init__(self, period: dt.date, names: Sequence[str], **keys: Any) -> None:
        self.period = period
        self.source_url: str | None = None
        self.is_estimate = False
        self.is_illustrative = False
        self.note: str | None = None
        self.revised_at: dt.datetime | None = None
        self.revision_reason: str | None = None
        self.figure_sources: dict[str, dict[str, Any]] = {}
        for name in names:
            setattr(self, name, None)
        for key, value in keys.items():
            setattr(self, key, value)

    def put(self, entry: HistoryEntry, value: Decimal | int) -> None:
        setattr(self, entry.metric, value)
        self.figure_sources[entry.metric] = {
            "source_url": entry.source_url,
            "title": entry.source_title,
            "quote": entry.quote,
            "is_estimate": entry.is_estimate,
        }


def _typed(metric: str, value: Decimal) -> Decimal | int:
    # The history keeps every figure as a decimal; a count stays a count, as its column stores it.
    return int(value) if metric == "miners_deployed" else value


def published_entries(company: Company, *, session: Session, as_of: dt.datetime) -> list[HistoryEntry]:
    """Every entry published by `as_of` (those superseded later count as still in force then)."""
    return list_history(company.id, session=session, as_of=as_of)


def in_force(entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The entries that were the published values at the moment `entries` were read as of."""
    return [e for e in entries if e.superseded_at is None and e.value is not None]


def period_bounds_as_of(entries: Sequence[HistoryEntry]) -> tuple[dt.date | None, dt.date | None]:
    periods = [e.period for e in in_force(entries)]
    return (min(periods), max(periods)) if periods else (None, None)


def load_company_series_as_of(
    company: Company,
    *,
    session: Session,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
    entries: Sequence[HistoryEntry] | None = None,
) -> tuple[Sequence[Site], list[MonthView]]:
    """Like `load_company_series`, with the figures that were published at `as_of` (default range: its months)."""
    sites = session.scalars(select(Site).where(Site.company_id == company.id).order_by(Site.name)).all()
    entries = published_entries(company, session=session, as_of=as_of) if entries is None else entries
    first, last = period_bounds_as_of(entries)
    start, end = start or first, end or last
    if start is None or end is None or start > end:
        return sites, []
    site_ids = {s.slug: s.id for s in sites}
    illustrative = {
        (site_id, period)
        for site_id, period in session.execute(
            select(SiteMonth.site_id, SiteMonth.period).where(
                SiteMonth.site_id.in_(list(site_ids.values())), SiteMonth.is_illustrative.is_(True)
            )
        )
    }
    before = add_months(start, -1)  # the treasury residual of the first month needs the month before
    company_rows: dict[dt.date, _PublishedRow] = {}
    site_rows: dict[tuple[int, dt.date], _PublishedRow] = {}
    for entry in in_force(entries):
        if not before <= entry.period <= end or entry.value is None:
            continue
        value = _typed(entry.metric, entry.value)
        if entry.site is None:
            row = company_rows.get(entry.period)
            if row is None:
                row = company_rows[entry.period] = _PublishedRow(entry.period, COMPANY_FIGURES, company_id=company.id)
            row.put(entry, value)
        elif entry.site in site_ids and entry.period >= start:
            key = (site_ids[entry.site], entry.period)
            row = site_rows.get(key)
            if row is None:
                row = site_rows[key] = _PublishedRow(
                    entry.period, SITE_FIGURES, site_id=key[0], is_illustrative=key in illustrative
                )
            row.put(entry, value)
    network = session.scalars(
        select(NetworkMonth)
        .where(NetworkMonth.period >= start, NetworkMonth.period <= end)
        .order_by(NetworkMonth.period)
    ).all()
    views = build_company_series(
        sites=sites,
        company_months=sorted(company_rows.values(), key=lambda r: r.period),  # type: ignore[arg-type]
        site_months=sorted(site_rows.values(), key=lambda r: (r.period, r.site_id)),  # type: ignore[arg-type]
        network_months=network,
        start=start,
        end=end,
        spans=_reported_as_of(entries, site_ids),
    )
    apply_history(views, [e for e in entries if start <= e.period <= end])
    return sites, views


def _reported_as_of(entries: Sequence[HistoryEntry], site_ids: dict[str, int]) -> dict[int, tuple[dt.date, dt.date]]:
    """Each site's first and last month with a figure in force at the moment, over all months (as
    app.store.queries.reported_spans gives them for today's data)."""
    spans: dict[int, tuple[dt.date, dt.date]] = {}
    for entry in in_force(entries):
        site_id = site_ids.get(entry.site) if entry.site is not None else None
        if site_id is None or entry.value is None:
            continue
        first, last = spans.get(site_id, (entry.period, entry.period))
        spans[site_id] = (min(first, entry.period), max(last, entry.period))
    return spans
