"""A series' points, one per month, from the month views: a company figure's or one site's.

Every build of a page makes its charts' points again, but the month views are kept between builds
(app.domain.month_memo) and a view never changes once built: a month whose view is the very one the last build
of the same series read keeps the point made from it. After a correction only the changed months' points are
made, and the charts' comparison with the kept ones (app.domain.charts.kept) finds equal points at a glance.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from itertools import compress
from operator import is_not
from typing import NamedTuple

from app.domain.charts.figure import Point
from app.domain.coverage import Coverage
from app.domain.figure_sources import FigureSource
from app.domain.month_views import sources_of
from app.domain.provenance import revised_note
from app.domain.reports import MonthView
from app.lru import Lru


class _Column(NamedTuple):
    views: tuple[MonthView, ...]
    points: tuple[Point, ...]


# The last points of each series, by the series and its first month's view: about 45 series per overview, each
# holding 120 views and points it shares with the kept views and charts (a couple of KB apiece).
KEPT_POINTS: Lru[Hashable, _Column] = Lru(4096)
# Points are kept only while a page says its views are the month memo's (`from_kept_views`): views built for one
# request (the compare page's, a page as of a moment) would be held here for nothing, about 3 MB per page.
_VIEWS_KEPT: ContextVar[bool] = ContextVar("views_kept", default=False)


@contextmanager
def from_kept_views() -> Iterator[None]:
    """Charts built inside are made from kept month views (app.domain.month_memo): their points may be kept."""
    token = _VIEWS_KEPT.set(True)
    try:
        yield
    finally:
        _VIEWS_KEPT.reset(token)


def company_points(views: Sequence[MonthView], metric: str) -> tuple[Point, ...]:
    """A company figure's points (a site view's own figures on a site page)."""
    return _kept(views, (metric, None), lambda months: _company_points(months, metric))


def site_points(views: Sequence[MonthView], metric: str, slug: str) -> tuple[Point, ...]:
    """One site's figure, from the company's month views."""
    return _kept(views, (metric, slug), lambda months: _site_points(months, metric, slug))


def sum_points(views: Sequence[MonthView], metric: str, slugs: tuple[str, ...]) -> tuple[Point, ...]:
    """Several sites' figure summed per month (a gap where none of them has one), with each one's source."""
    return _kept(views, (metric, slugs), lambda months: _sum_points(months, metric, slugs))


def _sum_points(views: Sequence[MonthView], metric: str, slugs: tuple[str, ...]) -> tuple[Point, ...]:
    points = []
    for v in views:
        figs = [v.sites[s] for s in slugs if s in v.sites and v.sites[s].values.get(metric) is not None]
        value = sum((f.values[metric] or Decimal(0) for f in figs), Decimal(0)) if figs else None
        points.append(Point(value, tuple(f.sources[metric] for f in figs if metric in f.sources)))
    return tuple(points)


def _kept(
    views: Sequence[MonthView], series: Hashable, build: Callable[[Sequence[MonthView]], tuple[Point, ...]]
) -> tuple[Point, ...]:
    if not views:
        return ()
    if not _VIEWS_KEPT.get():
        return build(views)
    key = (series, id(views[0]), len(views))
    # An entry holds its views, so no other object takes its first view's id while it lives: a found entry was
    # made from this very first month. Another range is another entry.
    kept = KEPT_POINTS.get(key)
    if kept is None:
        points = build(views)
    else:
        # In C, not a Python loop: a page runs this for its 40-odd series of 120 months after every change.
        changed = list(compress(range(len(views)), map(is_not, kept.views, views)))
        if not changed:
            return kept.points
        if len(changed) > len(views) // 4:
            points = build(views)  # in one pass, a run of months shares its sources and notes
        else:
            made = list(kept.points)
            for i in changed:
                (made[i],) = build(views[i : i + 1])
            points = tuple(made)
    KEPT_POINTS.put(key, _Column(tuple(views), points))
    return points


def _company_points(views: Sequence[MonthView], metric: str) -> tuple[Point, ...]:
    out: list[Point] = []
    append = out.append
    last_sources: tuple[FigureSource, ...] | None = None
    last_revised: str | None = None
    for v in views:
        value = v.values.get(metric)
        if value is None:
            append(_GAP)
            continue
        sources = sources_of(v, metric)
        # Months in a run share their sources (one shared instance per row's provenance): equal at a glance.
        if sources == last_sources:
            sources = last_sources
        else:
            # Each figure's own corrections: a month with one corrected figure leaves the others unmarked.
            last_sources, last_revised = sources, _revised(sources, metric)
        coverage = v.coverage.get(metric)
        append(_new(Point, (value, sources, last_revised, "" if coverage is None else _partial(coverage))))
    return tuple(out)


def _partial(coverage: Coverage) -> str:
    """Coverage.label, at once for a value from every active site (the sites listed alike: nothing missing)."""
    return "" if coverage.sites_reported == coverage.sites_active else coverage.label()


def _site_points(views: Sequence[MonthView], metric: str, slug: str) -> tuple[Point, ...]:
    out: list[Point] = []
    append = out.append
    # Months of one site mostly share one source (the rows' provenance is one shared instance): one tuple for
    # a run of them, so the hover notes recognise the run without hashing it (see _note_refs).
    last_src: FigureSource | None = None
    last_sources: tuple[FigureSource, ...] = ()
    last_revised: str | None = None
    for v in views:
        figures = v.sites.get(slug)
        value = None if figures is None else figures.values.get(metric)
        if figures is None or value is None:
            append(_GAP)
            continue
        src = figures.sources.get(metric)
        if not src:
            append(Point(value))
            continue
        if src is not last_src:
            last_src, last_sources = src, (src,)
            last_revised = _revised(last_sources, metric)
        append(_new(Point, (value, last_sources, last_revised, "")))
    return tuple(out)


def _revised(sources: tuple[FigureSource, ...], metric: str) -> str | None:
    """revised_note, without its sorting and de-duplicating for the figures never corrected (nearly all)."""
    for src in sources:
        if src.revisions:
            return revised_note(sources, metric)
    return None


_GAP = Point(None)
# Point(...) runs the NamedTuple's Python-level __new__ (defaults, keywords): building the tuple directly costs
# a third of that, and a ten-year, ten-site overview makes about 5,000 points. All four fields, in order.
_new = tuple.__new__
