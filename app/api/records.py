"""Stored rows and assembled months as series records: one rule, every month from the first to the last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from app.api.series import Change, Provenance, Record, provenance_of
from app.domain.reports import MonthView, month_range, row_sources, sources_of, with_changes
from app.store.models import NetworkMonth, SiteMonth

COMPANY_EXTRA = ("revised", "revised_at", "revision_reason")
SITE_EXTRA = ("is_illustrative", "is_estimate", "source_url", "note", "revised", "revised_at", "revision_reason")
NETWORK_EXTRA = ("source_url", "is_estimate")


def series_bounds(
    start: dt.date | None, end: dt.date | None, present: Iterable[dt.date | None]
) -> tuple[dt.date | None, dt.date | None]:
    """The months a series covers: `from`/`to` where given, else its first and last month with a figure."""
    known = [p for p in present if p is not None]
    first = start or (min(known) if known else None) or end
    last = end or (max(known) if known else None) or first
    return first, last


def view_changes(views: Sequence[MonthView], names: Sequence[str]) -> dict[dt.date, dict[str, Change]]:
    by_metric = {n: with_changes(views, n) for n in names}
    return {v.period: {n: by_metric[n].get(v.period, (None, None)) for n in names} for v in views}


def company_records(
    slug: str, views: Sequence[MonthView], names: Sequence[str], start: dt.date, extra: bool = True
) -> list[Record]:
    """A company's months from `start` (the views may begin earlier: the look-back of the changes)."""
    changes = view_changes(views, names)
    out: list[Record] = []
    for view in views:
        if view.period < start:
            continue
        values = {n: view.values.get(n) for n in names}
        provenance: dict[str, Provenance] = {}
        for n in names:
            if values[n] is not None and (prov := provenance_of(sources_of(view, n))) is not None:
                provenance[n] = prov
        revised = view.revised_at is not None
        row_extra: dict[str, Any] = (
            {"revised": revised, "revised_at": view.revised_at, "revision_reason": view.revision_reason}
            if extra
            else {}
        )
        out.append(
            Record(view.period, (("company", slug),), values, provenance, revised, changes[view.period], row_extra)
        )
    return out


def site_records(
    company: str,
    site_slugs: Sequence[str],
    rows: Sequence[tuple[SiteMonth, str]],
    names: Sequence[str],
    first: dt.date,
    last: dt.date,
) -> list[Record]:
    """Every (month, site) from first to last, ordered by month then site; a month not reported is nulls."""
    by_key = {(row.period, slug): row for row, slug in rows}
    out: list[Record] = []
    for period in month_range(first, last):
        for slug in sorted(site_slugs):
            keys = (("company", company), ("site", slug))
            row = by_key.get((period, slug))
            if row is None:
                empty: dict[str, Any] = {c: None for c in SITE_EXTRA}
                empty.update(is_illustrative=False, is_estimate=False, revised=False)
                out.append(Record(period, keys, dict.fromkeys(names), extra=empty))
                continue
            sources = row_sources(row, names, row.is_illustrative)
            revised = row.revised_at is not None
            out.append(
                Record(
                    period,
                    keys,
                    {n: getattr(row, n) for n in names},
                    {n: p for n, s in sources.items() if (p := provenance_of((s,))) is not None},
                    revised,
                    extra={
                        "is_illustrative": row.is_illustrative,
                        "is_estimate": row.is_estimate,
                        "source_url": row.source_url,
                        "note": row.note,
                        "revised": revised,
                        "revised_at": row.revised_at,
                        "revision_reason": row.revision_reason,
                    },
                )
            )
    return out


def network_records(rows: Sequence[NetworkMonth], names: Sequence[str], first: dt.date, last: dt.date) -> list[Record]:
    by_period = {row.period: row for row in rows}
    out: list[Record] = []
    for period in month_range(first, last):
        row = by_period.get(period)
        if row is None:
            out.append(Record(period, (), dict.fromkeys(names), extra={"source_url": None, "is_estimate": False}))
            continue
        sources = row_sources(row, names)
        out.append(
            Record(
                period,
                (),
                {n: getattr(row, n, None) for n in names},
                {n: p for n, s in sources.items() if (p := provenance_of((s,))) is not None},
                extra={"source_url": row.source_url, "is_estimate": row.is_estimate},
            )
        )
    return out
