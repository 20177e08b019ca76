"""The monthly release: which month a company page is built around, and its figures compared (pure).

A company publishes one update a month. The page shows that update whole: every headline figure of the
same month, each compared with the month before and the same month a year before only when both exist and
cover the same sites. A figure the release did not report says so, with the last month that did report it,
rather than silently standing in a figure from another month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlsplit

from app.domain import formulas
from app.domain import metrics as m
from app.domain.coverage import not_comparable
from app.domain.derived import derive
from app.domain.month_views import site_view, sources_of
from app.domain.provenance import revised_note, source_links
from app.domain.reports import MonthView, add_months

# The headline figures of a release, in the order the cards show them.
RELEASE_METRICS = ("btc_mined", "hashrate_avg_ehs", "fleet_efficiency_jth", "btc_held_end", "btc_per_ehs_day")
# A card whose metric the release did not report shows the figure the release gives in its place, when it
# gives one: many miners publish the operating hashrate at month end rather than the month's average.
STAND_INS: dict[str, tuple[str, ...]] = {"hashrate_avg_ehs": ("hashrate_end_ehs",)}


def card_metric(view: MonthView | None, metric: str) -> str:
    """The metric a card of `view`'s release shows: `metric`, or a stand-in the release reported instead."""
    if view is None or view.values.get(metric) is not None:
        return metric
    return next((alt for alt in STAND_INS.get(metric, ()) if view.values.get(alt) is not None), metric)


class ReleaseInfo(NamedTuple):
    """One published month: when it was first published, its latest correction, and where it was published."""

    period: dt.date
    published_at: dt.datetime | None
    revised_at: dt.datetime | None = None
    revision_reason: str | None = None
    source_url: str | None = None

    @property
    def corrected(self) -> bool:
        return self.revised_at is not None and (self.published_at is None or self.revised_at > self.published_at)


@dataclass(frozen=True, slots=True)
class Source:
    """Who published a release and under which title, read from its address."""

    url: str
    publisher: str
    title: str | None


def release_source(url: str | None) -> Source | None:
    """'globenewswire.com' and 'CleanSpark Releases January 2025 Bitcoin Mining Update' from a release's URL.

    The stored rows keep the release's address only; its host is the publisher and the last readable part of
    its path (words joined by hyphens) is, on every newswire the figures come from, the release's title.
    """
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return None
    title = None
    for segment in reversed([s for s in parts.path.split("/") if s]):
        stem = segment.rsplit(".", 1)[0] if segment.endswith((".html", ".htm")) else segment
        words = [w for w in stem.replace("_", "-").split("-") if w]
        if len(words) >= 3 and any(not w.isdigit() for w in words):
            title = " ".join(w if not w.islower() else w.capitalize() for w in words)
            break
    return Source(url=url, publisher=host, title=title)


def pick_release(
    releases: Sequence[ReleaseInfo], bounds: tuple[dt.date, dt.date] | None, wanted: dt.date | None = None
) -> ReleaseInfo | None:
    """The release asked for, else the latest one inside the range; None when there is none."""
    if wanted is not None:
        return next((r for r in releases if r.period == wanted), None)
    if bounds is None:
        return None
    inside = [r for r in releases if bounds[0] <= r.period <= bounds[1]]
    return max(inside, key=lambda r: r.period) if inside else None


def lowered_label(metric: str) -> str:
    """A metric's label inside a sentence: "fleet efficiency", but "BTC mined" keeps its capitals."""
    label = m.METRICS[metric].label
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


@dataclass(frozen=True, slots=True)
class Change:
    """A change against one other month, or why there is none (shown on hover)."""

    against: dt.date
    pct: Decimal | None = None
    delta: Decimal | None = None
    reason: str | None = None


def compare(views: dict[dt.date, MonthView], metric: str, period: dt.date, against: dt.date) -> Change:
    """The change of one metric from `against` to `period`, only between figures covering the same sites."""
    label = lowered_label(metric)
    now, then = views.get(period), views.get(against)
    current = now.values.get(metric) if now else None
    previous = then.values.get(metric) if then else None
    if current is None:
        return Change(against, reason=f"no {label} in {period:%B %Y}")
    if then is None or previous is None:
        return Change(against, reason=f"no {label} reported for {against:%B %Y}")
    assert now is not None
    why = not_comparable(
        now.coverage.get(metric),
        then.coverage.get(metric),
        current_month=f"{period:%B %Y}",
        earlier_month=f"{against:%B %Y}",
    )
    if why:
        return Change(against, reason=why)
    pct = formulas.change_pct(current, previous)
    if pct is None:
        return Change(against, delta=current - previous, reason=f"{against:%B %Y} was zero: no percentage")
    return Change(against, pct=pct, delta=current - previous)


class Revision(NamedTuple):
    at: dt.datetime
    reason: str | None


def figure_revision(view: MonthView, metric: str) -> Revision | None:
    """When and why one figure of the month was last corrected after it was published; None when it was not.

    The one place that decides which card wears a "revised" mark. It reads the figure's own history (its
    sources carry their corrections, app.domain.provenance): a month with one corrected figure leaves the
    others unmarked; a sum over sites is revised when one of its sites' figures was, a derived figure when
    one of its inputs was.
    """
    # The latest only: a sum over ten sites carries each site's corrections, and putting all of them in order (as
    # figure_revisions does for the hover notes) cost more than the rest of the release's cards.
    latest = None
    for source in sources_of(view, metric):
        for revision in source.revisions:
            if latest is None or revision.at >= latest.at:
                latest = revision
    return None if latest is None else Revision(latest.at, latest.reason)


@dataclass(frozen=True, slots=True)
class Card:
    """One headline figure of the release, or what was last reported when the release has none."""

    metric: str
    period: dt.date
    value: Decimal | None
    mom: Change
    yoy: Change
    last_value: Decimal | None = None
    last_period: dt.date | None = None
    is_illustrative: bool = False
    is_estimate: bool = False
    revision: Revision | None = None
    revision_note: str | None = None  # each correction: "Revised 2025-03-04 by editor: 626 BTC → 627 BTC — why"
    source_links: tuple[tuple[str, str], ...] = ()  # (url, the document's title or its publisher)
    coverage_note: str = ""


def release_cards(
    views: Sequence[MonthView],
    period: dt.date,
    *,
    metrics: Sequence[str] = RELEASE_METRICS,
    site_names: Mapping[str, str] | None = None,
) -> list[Card]:
    """Every headline figure of the month `period` (the views hold it and, for comparisons, the year before)."""
    by_period = {v.period: v for v in views}
    view = by_period.get(period)
    cards: list[Card] = []
    for wanted in metrics:
        metric = card_metric(view, wanted)
        mom = compare(by_period, metric, period, add_months(period, -1))
        yoy = compare(by_period, metric, period, add_months(period, -12))
        value = view.values.get(metric) if view else None
        if view is None or value is None:
            last = next((v for v in reversed(views) if v.period < period and v.values.get(metric) is not None), None)
            cards.append(
                Card(
                    metric,
                    period,
                    None,
                    mom,
                    yoy,
                    last_value=last.values.get(metric) if last else None,
                    last_period=last.period if last else None,
                )
            )
            continue
        srcs = sources_of(view, metric)
        coverage = view.coverage.get(metric)
        cards.append(
            Card(
                metric,
                period,
                value,
                mom,
                yoy,
                is_illustrative=any(s.is_illustrative for s in srcs),
                is_estimate=any(s.is_estimate for s in srcs),
                revision=figure_revision(view, metric),
                revision_note=revised_note(srcs, metric),
                source_links=tuple(source_links(srcs)),
                coverage_note=coverage.label(site_names) if coverage is not None else "",
            )
        )
    return cards


def site_metrics() -> tuple[str, ...]:
    """The headline figures a site has: company-level ones (treasury) are the company's alone."""
    return tuple(name for name in RELEASE_METRICS if m.METRICS[name].level != "company")


def selected_sites_series(
    views: Sequence[MonthView],
    slugs: Sequence[str],
    *,
    one_site: Callable[[MonthView, str], MonthView] = site_view,
) -> list[MonthView]:
    """The chosen sites' figures as MonthViews: one site's own (each month made by `one_site`, which a caller that
    keeps them passes), or several summed the dictionary's way."""
    if len(slugs) == 1:
        return [one_site(view, slugs[0]) for view in views]
    out: list[MonthView] = []
    for view in views:
        chosen = [view.sites[s] for s in slugs if s in view.sites]
        values: dict[str, Decimal | None] = dict.fromkeys(m.METRICS)
        for name in m.NETWORK_METRICS:
            values[name] = view.values.get(name)
        for name in m.SITE_METRICS:
            spec = m.METRICS[name]
            weights = [f.values.get(spec.weight) for f in chosen] if spec.weight else None
            values[name] = formulas.aggregate_values(name, [f.values.get(name) for f in chosen], weights)
        sources = {k: v for k, v in view.sources.items() if k in m.NETWORK_METRICS}
        for figures in chosen:
            for name, src in figures.sources.items():
                sources.setdefault(name, src)
        out.append(
            MonthView(
                period=view.period,
                values=values,
                sources=sources,
                sites={f.site_slug: f for f in chosen},
                basis=derive(values, view.period),
            )
        )
    return out
