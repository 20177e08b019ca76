"""Stored rows and assembled months as series records: one rule, every month from the first to the last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from app.api.common import FormatName, ShapeName
from app.api.params import ChangesName, HeaderName
from app.api.series import Layout, Provenance, Record, provenance_of
from app.domain.derived import DERIVED_INPUTS, hashprice
from app.domain.figure_history import HistoryEntry, by_figure, revisions_of
from app.domain.figure_sources import FigureSource, row_sources
from app.domain.metrics import NETWORK_METRICS
from app.domain.month_memo import KeptFrom
from app.domain.month_views import Change, month_changes, months_before, sources_of
from app.domain.provenance import figure_revisions, source_links
from app.domain.reports import MonthView, month_range
from app.store.models import NetworkMonth, SiteMonth

COMPANY_EXTRA = ("revised", "revised_at", "revision_reason")


def company_layout(
    names: tuple[str, ...],
    fmt: FormatName,
    shape: ShapeName,
    *,
    provenance: bool,
    changes: ChangesName | None,
    header: HeaderName,
) -> Layout:
    """How company months are written, one company's or several companies' (a `company` column either way)."""
    return Layout(
        names,
        fmt,
        shape,
        key_columns=("company",),
        extra_columns=COMPANY_EXTRA,
        provenance=provenance,
        changes=changes,
        header=header,
        with_changes=True,
        coverage=True,
    )


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


def figure_details(sources: Sequence[FigureSource]) -> dict[str, Any]:
    """What JSON provenance adds per figure: the document's title or publisher, and every correction."""
    out: dict[str, Any] = {}
    links = source_links(sources)
    if links:
        out["publisher"] = "; ".join(name for _, name in links)
    title = next((s.title for s in sources if s.title), None)
    if title:
        out["source_title"] = title
    revisions = figure_revisions(sources)
    if revisions:
        out["revisions"] = [
            {
                "metric": r.metric,
                "site": r.site,
                "from": r.old,
                "to": r.new,
                "at": r.at,
                "by": r.role,
                "reason": r.reason,
            }
            for r in revisions
        ]
    return out


# Records built from kept month views (app.store.queries.MONTH_VIEWS), by the views they read and the answer's
# settings: right after a correction, an answer builds only the records of the months that changed (and of
# the months whose change is measured against them).
_RECORDS: KeptFrom[Record] = KeptFrom(capacity=2048)


def company_records(
    slug: str,
    views: Sequence[MonthView],
    names: Sequence[str],
    start: dt.date,
    extra: bool = True,
    *,
    changes: bool = True,
    kept: bool = False,
) -> list[Record]:
    """A company's months from `start` (the views may begin earlier: the look-back of the changes).

    `changes=False` when the answer states none (a CSV by default): they cost a third of the build. `kept`: the
    views are kept ones (app.domain.month_memo), never changed, so the records built from them are kept too."""
    names = tuple(names)
    settings = (slug, names, extra, changes)
    by_period = {v.period: v for v in views}
    # Ten years of figures share a handful of distinct provenances (one per release, a few corrections):
    # each is described once and shared by every figure that has it (the records only read it).
    described: dict[tuple[FigureSource, ...], tuple[Provenance | None, dict[str, Any]]] = {}

    def build(view: MonthView, month_before: MonthView | None, year_before: MonthView | None) -> Record:
        changed = month_changes(view, month_before, year_before, names) if changes else {}
        return _company_record(slug, view, names, extra, changed, described, shared=kept)

    out: list[Record] = []
    for view in views:
        if view.period < start:
            continue
        # What the record reads: its month, and for its changes the month and the year before.
        before, year_before = months_before(view.period)
        read = (view, by_period.get(before), by_period.get(year_before))
        out.append(_RECORDS.get(read, settings, partial(build, *read)) if kept else build(*read))
    return out


def _company_record(
    slug: str,
    view: MonthView,
    names: tuple[str, ...],
    extra: bool,
    changed: dict[str, Change],
    described: dict[tuple[FigureSource, ...], tuple[Provenance | None, dict[str, Any]]],
    *,
    shared: bool,
) -> Record:
    values = {n: view.values.get(n) for n in names}
    provenance: dict[str, Provenance] = {}
    details: dict[str, dict[str, Any]] = {}
    for n in names:
        if values[n] is None:
            continue
        found = sources_of(view, n)
        known = described.get(found)
        if known is None:
            prov = provenance_of(found)
            known = described[found] = (prov, figure_details(found) if prov is not None else {})
        if known[0] is not None:
            provenance[n] = known[0]
            if known[1]:
                details[n] = known[1]
    revised = view.revised_at is not None
    row_extra: dict[str, Any] = (
        {"revised": revised, "revised_at": view.revised_at, "revision_reason": view.revision_reason} if extra else {}
    )
    coverage = {n: view.coverage[n] for n in names if n in view.coverage}
    return Record(
        view.period, (("company", slug),), values, provenance, revised, changed, row_extra, details, coverage, shared
    )


def site_records(
    company: str,
    site_slugs: Sequence[str],
    rows: Sequence[tuple[SiteMonth, str]],
    names: Sequence[str],
    first: dt.date,
    last: dt.date,
    history: Sequence[HistoryEntry] = (),
) -> list[Record]:
    """Every (month, site) from first to last, ordered by month then site; a month not reported is nulls.

    `history` (the sites' published values) gives each figure its own corrections and document title."""
    by_key = {(row.period, slug): row for row, slug in rows}
    grouped = by_figure(history)
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
            for n, src in sources.items():
                if found := grouped.get((slug, period, n)):
                    title = found[-1].source_title or src.title
                    sources[n] = src._replace(revisions=revisions_of(found), title=title)
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
                    details={n: d for n, s in sources.items() if (d := figure_details((s,)))},
                )
            )
    return out


def network_figure_sources(row: NetworkMonth) -> dict[str, dict[str, Any]]:
    """Each present network figure's source: its own entry (source keys, link, licence), else the row's link."""
    out: dict[str, dict[str, Any]] = {}
    entries = row.figure_sources or {}
    for name in NETWORK_METRICS:
        if getattr(row, name) is None:
            continue
        entry = entries.get(name) or {}
        out[name] = {
            "source": entry.get("source"),
            "source_url": entry.get("source_url") or row.source_url,
            "licence": entry.get("licence"),
            "attribution": entry.get("quote"),
            "is_estimate": bool(entry.get("is_estimate", row.is_estimate)),
        }
    return out


def network_values(row: NetworkMonth) -> dict[str, Decimal | None]:
    """The stored figures of a network month and the hashprice they give."""
    values: dict[str, Decimal | None] = {n: getattr(row, n) for n in NETWORK_METRICS}
    values["hashprice_usd_per_ph_day"] = hashprice(
        row.network_subsidy_btc, row.network_fees_btc, row.network_hashrate_avg_ehs, row.btc_price_avg_usd, row.period
    )
    return values


def _joined(entries: Sequence[dict[str, Any]], key: str) -> str | None:
    return "; ".join(dict.fromkeys(str(e[key]) for e in entries if e.get(key))) or None


def _network_record(row: NetworkMonth, names: Sequence[str]) -> Record:
    values = network_values(row)
    sources = network_figure_sources(row)
    provenance: dict[str, Provenance] = {}
    details: dict[str, dict[str, Any]] = {}
    for name in names:
        if values.get(name) is None:
            continue
        # A derived figure (hashprice) has its inputs' sources.
        found = [sources[n] for n in DERIVED_INPUTS.get(name, (name,)) if n in sources]
        if not found:
            continue
        urls = list(dict.fromkeys(e["source_url"] for e in found if e["source_url"]))
        provenance[name] = Provenance(" ".join(urls) or None, any(e["is_estimate"] for e in found))
        details[name] = {k: v for k in ("source", "licence", "attribution") if (v := _joined(found, k))}
    return Record(
        row.period,
        (),
        {n: values.get(n) for n in names},
        provenance,
        extra={"source_url": row.source_url, "is_estimate": row.is_estimate},
        details=details,
    )


def network_records(rows: Sequence[NetworkMonth], names: Sequence[str], first: dt.date, last: dt.date) -> list[Record]:
    """Every month from first to last; a month without reference figures is nulls."""
    by_period = {row.period: row for row in rows}
    out: list[Record] = []
    for period in month_range(first, last):
        row = by_period.get(period)
        if row is None:
            out.append(Record(period, (), dict.fromkeys(names), extra={"source_url": None, "is_estimate": False}))
        else:
            out.append(_network_record(row, names))
    return out
