"""Reading assembled months (pure): the sources behind one figure, its changes, one site's months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache, partial

from app.domain import formulas
from app.domain import metrics as m
from app.domain.coverage import comparable_key
from app.domain.derived import DERIVED_INPUTS, derive, inputs_of
from app.domain.figure_sources import FigureSource
from app.domain.month_memo import KeptFrom
from app.domain.reports import MonthView, add_months

Change = tuple[Decimal | None, Decimal | None]
NO_CHANGE: Change = (None, None)


def with_changes(views: Sequence[MonthView], metric: str) -> dict[dt.date, Change]:
    """Month-over-month and year-over-year change (percent) of one metric, by period.

    Only between values that cover the same sites: a change across a coverage change is not a change.
    """
    by_period = {v.period: v for v in views}
    out: dict[dt.date, Change] = {}
    for view in views:
        current = view.values.get(metric)
        if current is None:  # no change without a figure; skips the lookups
            out[view.period] = NO_CHANGE
            continue
        month_before, year_before = months_before(view.period)
        key = comparable_key(view.coverage.get(metric))
        out[view.period] = (
            _change(current, key, by_period.get(month_before), metric),
            _change(current, key, by_period.get(year_before), metric),
        )
    return out


def month_changes(
    view: MonthView, month_before: MonthView | None, year_before: MonthView | None, names: Sequence[str]
) -> dict[str, Change]:
    """`with_changes` of one month for several metrics, from the views of the month and the year before (None:
    not in the series). The API builds only the months it does not keep (app.api.records)."""
    out: dict[str, Change] = {}
    coverage = view.coverage
    for name in names:
        current = view.values.get(name)
        if current is None:  # the API asks for every metric: most are absent some months
            out[name] = NO_CHANGE
            continue
        key = comparable_key(coverage.get(name)) if coverage else None
        out[name] = (_change(current, key, month_before, name), _change(current, key, year_before, name))
    return out


def _change(current: Decimal, key: frozenset[str] | None, other: MonthView | None, metric: str) -> Decimal | None:
    if other is None:
        return None
    other_key = comparable_key(other.coverage.get(metric)) if other.coverage else None
    return formulas.change_pct(current, other.values.get(metric)) if other_key == key else None


@lru_cache(maxsize=4096)
def months_before(period: dt.date) -> tuple[dt.date, dt.date]:
    return add_months(period, -1), add_months(period, -12)


def sources_of(view: MonthView, metric: str) -> tuple[FigureSource, ...]:
    """The provenance behind one figure of a month: its own, or its inputs' for a derived metric (with a note
    of the route taken when the month computed it by the dictionary's second formula)."""
    if metric in DERIVED_INPUTS:
        found = tuple(view.sources[name] for name in inputs_of(metric, view.basis) if name in view.sources)
        why = view.basis.get(metric)
        return (*found, _basis_source(why)) if why else found
    src = view.sources.get(metric)
    return (src,) if src is not None else ()


@lru_cache(maxsize=64)
def _basis_source(why: str) -> FigureSource:
    return FigureSource(None, False, basis=why)


# One site's months, made from kept views (the site page's from its site's series, a site filter's release cards
# from the company's): kept as long as the views they are made from, so a page after a correction derives one month.
SITE_VIEWS: KeptFrom[MonthView] = KeptFrom(capacity=2048)


def kept_site_view(view: MonthView, site_slug: str) -> MonthView:
    """`site_view` of a kept view, kept beside it in SITE_VIEWS."""
    return SITE_VIEWS.get((view,), site_slug, partial(site_view, view, site_slug))


def site_view(view: MonthView, site_slug: str) -> MonthView:
    """One site's month as a MonthView: the site's figures, the derived metrics they allow, the network's reference.

    Company-level figures (treasury, published totals) are not the site's and stay out.
    """
    figures = view.sites.get(site_slug)
    values: dict[str, Decimal | None] = dict.fromkeys(m.METRICS)
    sources: dict[str, FigureSource] = {}
    for name in m.NETWORK_METRICS:
        values[name] = view.values.get(name)
        if name in view.sources:
            sources[name] = view.sources[name]
    if figures is not None:
        values.update(figures.values)
        sources.update(figures.sources)
    basis = derive(values, view.period)
    return MonthView(
        period=view.period,
        values=values,
        sources=sources,
        sites={site_slug: figures} if figures is not None else {},
        revised_at=figures.revised_at if figures is not None else None,
        revision_reason=figures.revision_reason if figures is not None else None,
        basis=basis,
    )
