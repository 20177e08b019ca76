"""The company charts: hashrate and BTC mined by site, efficiency, yield; the overview's charts in page order
(the market charts are in `market`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from app.domain.charts.figure import (
    UNALLOCATED_COLOUR,
    Chart,
    Kind,
    Series,
    colour,
    finish,
)
from app.domain.charts.layout import NORMAL_RANGE, events_in
from app.domain.charts.market import hashprice_chart, realized_chart, revenue_chart, share_chart, treasury_chart
from app.domain.charts.points import company_points, site_points, sum_points
from app.domain.reports import MonthView

if TYPE_CHECKING:
    # Only the rows' shapes: the domain is handed rows, it never loads them.
    from app.store.models import Event, Site


def _site_series(
    views: Sequence[MonthView], sites: Sequence[Site], metric: str, kind: Kind, selected: Sequence[str] = ()
) -> list[Series]:
    """One series per site with figures (colour fixed by the site's place, so a filter keeps colours)."""
    out: list[Series] = []
    for i, site in enumerate(sites):
        if selected and site.slug not in selected:
            continue
        points = site_points(views, metric, site.slug)
        out.append(Series(f"{metric}:{site.slug}", site.name, metric, points, kind, colour(i), width=1.5))
    return out


def _other_sites(
    views: Sequence[MonthView], sites: Sequence[Site], metric: str, selected: Sequence[str]
) -> Series | None:
    """With a site filter, the sites left out, summed, so the stack still reaches the company figure."""
    others = tuple(s.slug for s in sites if s.slug not in selected)
    if not selected or not others:
        return None
    points = sum_points(views, metric, others)
    return Series(f"{metric}:other_sites", "Other sites", metric, points, "bar", "#94a3b8")


def hashrate_chart(
    views: Sequence[MonthView], sites: Sequence[Site], events: Sequence[Event], selected: Sequence[str] = ()
) -> Chart:
    """Operating hashrate at month end by site (stacked bars), with the company's month-end and average."""
    periods = [v.period for v in views]
    # Sites that report only their monthly average are stacked by that figure instead of leaving no split.
    site_metric = "hashrate_end_ehs"
    if not any(f.values.get("hashrate_end_ehs") is not None for v in views for f in v.sites.values()):
        site_metric = "hashrate_avg_ehs"
    series = _site_series(views, sites, site_metric, "bar", selected)
    other = _other_sites(views, sites, site_metric, selected)
    if other:
        series.append(other)
    series.append(
        Series("hashrate_end_ehs", "Company, month end", "hashrate_end_ehs", company_points(views, "hashrate_end_ehs"))
    )
    series.append(
        Series(
            "hashrate_avg_ehs",
            "Company, monthly average",
            "hashrate_avg_ehs",
            company_points(views, "hashrate_avg_ehs"),
            dash="dash",
            width=1.5,
        )
    )
    chart = Chart("hashrate", "Operating hashrate", "EH/s", periods, series, events=events_in(events, periods))
    if not any(v.sites for v in views):
        chart.note = "Not broken out by site: the company publishes totals only."
    elif site_metric == "hashrate_avg_ehs":
        chart.note = "Bars: each site's monthly average (the sites report no month-end figure)."
    else:
        chart.note = "Bars: each site's operating hashrate at month end."
    return finish(chart, barmode="stack")


def btc_mined_chart(
    views: Sequence[MonthView], sites: Sequence[Site], events: Sequence[Event], selected: Sequence[str] = ()
) -> Chart:
    """BTC mined: stacked bars per site, the remainder not allocated to a site, and the published total."""
    periods = [v.period for v in views]
    series = _site_series(views, sites, "btc_mined", "bar", selected)
    other = _other_sites(views, sites, "btc_mined", selected)
    if other:
        series.append(other)
    unallocated = company_points(views, "unallocated_btc")
    if any(p.value not in (None, Decimal(0)) for p in unallocated):
        series.append(
            Series(
                "unallocated_btc", "Not allocated to a site", "unallocated_btc", unallocated, "bar", UNALLOCATED_COLOUR
            )
        )
    # The line is the company's own published total, never the sum of the bars under it.
    series.append(
        Series(
            "btc_mined_total", "Published company total", "btc_mined_total", company_points(views, "btc_mined_total")
        )
    )
    chart = Chart("btc_mined", "BTC mined per month", "BTC", periods, series, events=events_in(events, periods))
    if not any(v.sites for v in views):
        chart.note = "Not broken out by site: the company publishes totals only."
    return finish(chart, barmode="relative")


def efficiency_chart(
    views: Sequence[MonthView], sites: Sequence[Site], events: Sequence[Event], selected: Sequence[str] = ()
) -> Chart:
    """Fleet efficiency in J/TH: the company's, and each site's where reported. Lower is better."""
    periods = [v.period for v in views]
    series = [
        Series(
            "fleet_efficiency_jth",
            "Company fleet",
            "fleet_efficiency_jth",
            company_points(views, "fleet_efficiency_jth"),
            width=2.5,
        ),
        *_site_series(views, sites, "fleet_efficiency_jth", "line", selected),
    ]
    chart = Chart("efficiency", "Fleet efficiency", "J/TH", periods, series, events=events_in(events, periods))
    chart.note = "Joules per terahash: lower is better."
    return finish(chart, yaxis=NORMAL_RANGE)


def yield_chart(views: Sequence[MonthView], events: Sequence[Event], *, label: str = "Company") -> Chart:
    """Production yield: BTC mined per EH/s of average operating hashrate per day."""
    periods = [v.period for v in views]
    series = [
        Series(
            "btc_per_ehs_day",
            label,
            "btc_per_ehs_day",
            company_points(views, "btc_per_ehs_day"),
            colour="#0891b2",
            width=2.5,
        )
    ]
    chart = Chart(
        "yield", "Production yield", "BTC per EH/s per day", periods, series, events=events_in(events, periods)
    )
    chart.note = "BTC mined ÷ average operating hashrate ÷ days in the month. It falls as the network grows."
    return finish(chart, yaxis=NORMAL_RANGE)


ChartBuilder = Callable[[Sequence[MonthView], Sequence["Site"], Sequence["Event"], Sequence[str]], Chart]

# The company overview's charts by key, in page order.
OVERVIEW_CHARTS: dict[str, ChartBuilder] = {
    "hashrate": hashrate_chart,
    "btc_mined": btc_mined_chart,
    "realized": lambda views, sites, events, selected: realized_chart(views, events),
    "share": lambda views, sites, events, selected: share_chart(views, events),
    "yield": lambda views, sites, events, selected: yield_chart(views, events),
    "revenue": lambda views, sites, events, selected: revenue_chart(views, events),
    "treasury": lambda views, sites, events, selected: treasury_chart(views, events),
    "efficiency": efficiency_chart,
    "hashprice": lambda views, sites, events, selected: hashprice_chart(views, events),
}


def overview_charts(
    views: Sequence[MonthView], sites: Sequence[Site], events: Sequence[Event], selected: Sequence[str] = ()
) -> list[Chart]:
    """Every chart of the company overview, in page order."""
    return [build(views, sites, events, selected) for build in OVERVIEW_CHARTS.values()]
