"""Assemble stored rows into monthly series with derived metrics (pure: no database, no request)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress
from operator import attrgetter, is_not
from typing import TYPE_CHECKING, Any, NamedTuple

from app.domain import formulas
from app.domain import metrics as m
from app.domain.coverage import SITE_AGGREGATES, Coverage, MonthCoverages, SiteLife, narrowest
from app.domain.derived import derive, inputs_of
from app.domain.enums import SiteStatus
from app.domain.figure_sources import FigureSource, merged_sources, shared_source, sources_of_values

if TYPE_CHECKING:
    # Only the rows' shapes: the domain is handed rows, it never loads them.
    from app.store.models import CompanyMonth, NetworkMonth, Site, SiteMonth


@dataclass(slots=True)
class SiteFigures:
    site_slug: str
    values: dict[str, Decimal | None]
    sources: dict[str, FigureSource]
    is_illustrative: bool
    revised_at: dt.datetime | None = None
    revision_reason: str | None = None


_REPORTED = ("site", "company")
_REPORTED_METRICS = tuple(name for name, spec in m.METRICS.items() if spec.level in _REPORTED)


@dataclass(slots=True)
class MonthView:
    """Everything known about one company month, published figures only unless asked otherwise."""

    period: dt.date
    values: dict[str, Decimal | None]
    sources: dict[str, FigureSource] = field(default_factory=dict)
    sites: dict[str, SiteFigures] = field(default_factory=dict)
    note: str | None = None
    revised_at: dt.datetime | None = None
    revision_reason: str | None = None
    # Derived metrics computed by their second route this month (metric -> why), see app.domain.derived.
    basis: dict[str, str] = field(default_factory=dict)
    # Which sites each value computed from site figures covers (app.domain.coverage); a company-reported
    # figure, or a metric without a site value, has no entry.
    coverage: dict[str, Coverage] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        # Reported figures only: derived ones follow from them, or (hashprice) from the network's alone.
        if self.sites:
            return True
        values = self.values
        return any(values[k] is not None for k in _REPORTED_METRICS if k in values)


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    months: list[dt.date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def add_months(period: dt.date, count: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


# A site row's figures in the order of SITE_METRICS, read at C speed from an ORM object or a row tuple.
_site_figures = attrgetter(*m.SITE_METRICS)
# For a weighted mean, where its weight sits among SITE_METRICS.
_WEIGHT_COLUMN: dict[str, int] = {
    name: m.SITE_METRICS.index(spec.weight)
    for name in m.SITE_METRICS
    if (spec := m.METRICS[name]).weight is not None and spec.aggregation == "weighted_mean"
}
# (column, metric, weight column) of each site metric; (column, metric) of those whose sum has a coverage.
_SITE_COLUMNS = tuple((i, name, _WEIGHT_COLUMN.get(name)) for i, name in enumerate(m.SITE_METRICS))
_AGGREGATE_COLUMNS = tuple((i, name) for i, name in enumerate(m.SITE_METRICS) if name in SITE_AGGREGATES)
_COMPANY_FIGURES = (*m.COMPANY_METRICS, *m.COMPANY_OPERATING_METRICS)
_OPERATING = len(m.COMPANY_METRICS)  # where the operating figures start among them
_company_figures = attrgetter(*_COMPANY_FIGURES)
_network_figures = attrgetter(*m.NETWORK_METRICS)
_NO_SITE_VALUES: dict[str, Decimal | None] = dict.fromkeys(m.SITE_METRICS)
_NONES = (None,) * len(m.SITE_METRICS)


# Each site's first and last reported month over all its months, by site id (app.store.queries.reported_spans).
ReportedSpans = Mapping[int, tuple[dt.date, dt.date]]


class _SiteMonths(NamedTuple):
    """What a month's site rows give the company's month."""

    values: dict[str, Decimal | None]  # each site metric summed (or averaged) over the sites
    sources: dict[str, FigureSource]  # the sums' provenance
    reported_by: dict[str, tuple[str, ...]]  # the slugs of the sites behind each sum that can be partial
    figures: list[tuple[Any, ...]]  # each row's figures, in the order of SITE_METRICS
    row_sources: list[dict[str, FigureSource]]  # each row's provenance


def _rows_sources(site_rows: Sequence[SiteMonth], figures: list[tuple[Any, ...]]) -> list[dict[str, FigureSource]]:
    return [sources_of_values(r, m.SITE_METRICS, t, r.is_illustrative) for r, t in zip(site_rows, figures, strict=True)]


def _site_months(site_rows: Sequence[SiteMonth], slug_by_id: dict[int, str]) -> _SiteMonths:
    """A month's site rows, each row's figures read once and shared by the sums and the site split."""
    figures = [_site_figures(r) for r in site_rows]
    # One column per metric across the month's sites: the sum or weighted mean reads it directly.
    columns = list(zip(*figures, strict=True))
    # How many sites have each figure, counted by identity: `None in column` compares each Decimal with None,
    # which is slow.
    counts = [sum(map(is_not, column, _NONES)) for column in columns]
    values = {
        name: formulas.aggregate_values(name, columns[i], columns[weight] if weight is not None else None)
        if counts[i]
        else None
        for i, name, weight in _SITE_COLUMNS
    }
    shared = shared_source(site_rows)
    if shared is None:
        row_sources = _rows_sources(site_rows, figures)
        sum_sources = merged_sources(row_sources)
    else:
        # Each sum has the rows' one provenance, and a sum exists exactly where some site has the figure.
        sum_sources = dict.fromkeys(compress(m.SITE_METRICS, counts), shared)
        if set(counts) <= {0, len(site_rows)}:
            # Every site has exactly the sums' figures: a copy of their dict for each (each site keeps its own,
            # app.domain.provenance changes them).
            row_sources = [sum_sources.copy() for _ in site_rows]
        else:
            row_sources = _rows_sources(site_rows, figures)
    slugs = tuple(slug_by_id.get(r.site_id, str(r.site_id)) for r in site_rows)
    reported_by = {
        name: slugs if counts[i] == len(slugs) else tuple(compress(slugs, map(is_not, columns[i], _NONES)))
        for i, name in _AGGREGATE_COLUMNS
        if counts[i]
    }
    return _SiteMonths(values, sum_sources, reported_by, figures, row_sources)


class SeriesInputs:
    """A series' rows arranged by month: what each month's view is built from (`month`).

    `spans`: each site's first and last reported month over all its months (see `site_lives`); the series loads
    always give them, so a month's coverage does not depend on the range asked for.
    """

    __slots__ = ("_company", "_coverages", "_held_before", "_network", "_sites", "lives", "slug_by_id")

    def __init__(
        self,
        *,
        sites: Sequence[Site],
        company_months: Sequence[CompanyMonth],
        site_months: Sequence[SiteMonth],
        network_months: Sequence[NetworkMonth],
        spans: ReportedSpans | None = None,
    ) -> None:
        self.slug_by_id = {s.id: s.slug for s in sites}
        self.lives = tuple(site_lives(sites, site_months, spans))
        self._coverages = MonthCoverages(self.lives)
        self._company = {row.period: row for row in company_months}
        self._network = {row.period: row for row in network_months}
        by_period: dict[dt.date, list[SiteMonth]] = defaultdict(list)
        for row in site_months:
            by_period[row.period].append(row)
        self._sites = {period: tuple(rows) for period, rows in by_period.items()}
        # The previous month's holdings are needed for the treasury residual of the first month shown.
        self._held_before = {add_months(row.period, 1): row.btc_held_end for row in company_months}

    def month(self, period: dt.date) -> MonthView:
        """The view of `period`: its figures, their sources and coverage, the derived metrics."""
        cm, held_before = self._company.get(period), self._held_before.get(period)
        nm, site_rows = self._network.get(period), self._sites.get(period, ())
        slug_by_id = self.slug_by_id
        values: dict[str, Decimal | None]
        sources: dict[str, FigureSource]
        if site_rows:
            from_sites = _site_months(site_rows, slug_by_id)
            # A company-level figure beats a site sum only where the company reported it (below).
            values, sources, reported_by = from_sites.values, from_sites.sources, from_sites.reported_by
            site_figures, site_sources = from_sites.figures, from_sites.row_sources
        else:
            values, sources, reported_by = _NO_SITE_VALUES.copy(), {}, {}
            site_figures, site_sources = [], []
        if cm is not None:
            company_figures = _company_figures(cm)
            company_sources = sources_of_values(cm, _COMPANY_FIGURES, company_figures, False)
            values.update(zip(m.COMPANY_METRICS, company_figures[:_OPERATING], strict=True))
            for name, reported in zip(m.COMPANY_OPERATING_METRICS, company_figures[_OPERATING:], strict=True):
                if reported is not None:
                    values[name] = reported
                    sources[name] = company_sources[name]
                    # A company-reported figure wins over the site sum: it is the whole company's.
                    reported_by.pop(name, None)
            sources.update({k: v for k, v in company_sources.items() if k in _COMPANY_METRIC_SET})
        else:
            values.update(_NO_COMPANY_VALUES)
        # `btc_mined` is the company's production: the published total where there is one.
        if values["btc_mined_total"] is not None:
            values["btc_mined"] = values["btc_mined_total"]
            sources["btc_mined"] = sources["btc_mined_total"]
            reported_by.pop("btc_mined", None)
        if nm is not None:
            network_figures = _network_figures(nm)
            values.update(zip(m.NETWORK_METRICS, network_figures, strict=True))
            sources.update(sources_of_values(nm, m.NETWORK_METRICS, network_figures, False))
        else:
            values.update(_NO_NETWORK_VALUES)
        coverage = self._coverages.of_month(period, reported_by)

        basis = derive(values, period)
        # A derived figure is partial only through a partial input: in the usual month every site reported.
        partial = {name: c for name, c in coverage.items() if not c.complete}
        if partial:
            for name in m.DERIVED_METRICS:
                if values.get(name) is not None:
                    derived_cover = narrowest(partial.get(i) for i in inputs_of(name, basis))
                    if derived_cover is not None:
                        coverage[name] = derived_cover
        values["unallocated_btc"] = (
            formulas.unallocated_btc(values["btc_mined_total"], [r.btc_mined for r in site_rows]) if site_rows else None
        )
        values["treasury_residual_btc"] = formulas.treasury_residual(
            values["btc_held_end"], held_before, values["btc_mined_total"], values["btc_sold"]
        )

        revised_at = cm.revised_at if cm is not None else None
        reason = cm.revision_reason if cm is not None else None
        sites_out: dict[str, SiteFigures] = {}
        for r, t, r_sources in zip(site_rows, site_figures, site_sources, strict=True):
            slug = slug_by_id.get(r.site_id, str(r.site_id))
            # Positional arguments, and zip unchecked (`t` was read by SITE_METRICS): a page builds one per site
            # and month, and keywords or the check cost as much again.
            sites_out[slug] = SiteFigures(
                slug,
                dict(zip(m.SITE_METRICS, t, strict=False)),
                r_sources,
                r.is_illustrative,
                r.revised_at,
                r.revision_reason,
            )
            if r.revised_at is not None and _latest(revised_at, r.revised_at) == r.revised_at:
                revised_at, reason = r.revised_at, r.revision_reason
        return MonthView(
            period=period,
            values=values,
            sources=sources,
            sites=sites_out,
            note=cm.note if cm is not None else None,
            revised_at=revised_at,
            revision_reason=reason,
            basis=basis,
            coverage=coverage,
        )


def build_company_series(
    *,
    sites: Sequence[Site],
    company_months: Sequence[CompanyMonth],
    site_months: Sequence[SiteMonth],
    network_months: Sequence[NetworkMonth],
    start: dt.date,
    end: dt.date,
    spans: ReportedSpans | None = None,
) -> list[MonthView]:
    """One MonthView per calendar month from start to end; a month without figures has only nulls.

    `spans`: see SeriesInputs."""
    inputs = SeriesInputs(
        sites=sites, company_months=company_months, site_months=site_months, network_months=network_months, spans=spans
    )
    return [inputs.month(period) for period in month_range(start, end)]


_COMPANY_METRIC_SET = frozenset(m.COMPANY_METRICS)
_NO_COMPANY_VALUES: dict[str, Decimal | None] = dict.fromkeys(m.COMPANY_METRICS)
_NO_NETWORK_VALUES: dict[str, Decimal | None] = dict.fromkeys(m.NETWORK_METRICS)
SITE_AGGREGATES_SET = frozenset(SITE_AGGREGATES)


def site_lives(
    sites: Sequence[Site], site_months: Sequence[SiteMonth], spans: ReportedSpans | None = None
) -> list[SiteLife]:
    """Each site's operating life, its recorded dates completed by the months it reported.

    `spans` gives the first and last month each site reported over all its months. Without it they come from
    `site_months` alone, and a site that reported before (or after) the rows read would look as if it began (or
    ended) with them: the same month's total would then name different sites for different ranges.
    """
    first: dict[int, dt.date] = {i: span[0] for i, span in (spans or {}).items()}
    last: dict[int, dt.date] = {i: span[1] for i, span in (spans or {}).items()}
    for row in site_months:
        if row.site_id not in first or row.period < first[row.site_id]:
            first[row.site_id] = row.period
        if row.site_id not in last or row.period > last[row.site_id]:
            last[row.site_id] = row.period
    lives: list[SiteLife] = []
    for site in sites:
        retired = site.retired_on
        if retired is None and site.status == SiteStatus.retired and site.id in last:
            # Retired without a recorded month: it operated up to the last month it reported.
            retired = add_months(last[site.id], 1)
        lives.append(
            SiteLife(
                slug=site.slug,
                name=site.name,
                energized=site.energized_on,
                retired=retired,
                first_reported=first.get(site.id),
                status=site.status,
            )
        )
    return lives
