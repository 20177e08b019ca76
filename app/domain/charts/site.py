"""The charts of one site's page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.domain.charts.company import yield_chart
from app.domain.charts.figure import Chart, Series, finish
from app.domain.charts.layout import NORMAL_RANGE, events_in
from app.domain.charts.market import share_chart
from app.domain.charts.points import company_points
from app.domain.reports import MonthView

if TYPE_CHECKING:
    # Only the rows' shapes: the domain is handed rows, it never loads them.
    from app.store.models import Event


def site_hashrate_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    """One site's hashrate: average, month end and deployed."""
    periods = [v.period for v in views]
    series = [
        Series(
            "hashrate_deployed_ehs",
            "Deployed",
            "hashrate_deployed_ehs",
            company_points(views, "hashrate_deployed_ehs"),
            "bar",
            "#cbd5e1",
        ),
        Series(
            "hashrate_end_ehs",
            "Operating, month end",
            "hashrate_end_ehs",
            company_points(views, "hashrate_end_ehs"),
            colour="#2563eb",
        ),
        Series(
            "hashrate_avg_ehs",
            "Operating, monthly average",
            "hashrate_avg_ehs",
            company_points(views, "hashrate_avg_ehs"),
            colour="#2563eb",
            dash="dash",
            width=1.5,
        ),
    ]
    chart = Chart("hashrate", "Operating hashrate", "EH/s", periods, series, events=events_in(events, periods))
    return finish(chart)


def site_btc_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    periods = [v.period for v in views]
    series = [Series("btc_mined", "BTC mined", "btc_mined", company_points(views, "btc_mined"), "bar", "#16a34a")]
    chart = Chart("btc_mined", "BTC mined per month", "BTC", periods, series, events=events_in(events, periods))
    return finish(chart)


def site_efficiency_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    periods = [v.period for v in views]
    series = [
        Series(
            "fleet_efficiency_jth",
            "Fleet efficiency",
            "fleet_efficiency_jth",
            company_points(views, "fleet_efficiency_jth"),
            colour="#d97706",
            width=2.5,
        )
    ]
    chart = Chart("efficiency", "Fleet efficiency", "J/TH", periods, series, events=events_in(events, periods))
    chart.note = "Joules per terahash: lower is better."
    return finish(chart, yaxis=NORMAL_RANGE)


def site_charts(views: Sequence[MonthView], events: Sequence[Event]) -> list[Chart]:
    """Every chart of a site page (views from app.domain.month_views.site_view)."""
    return [
        site_hashrate_chart(views, events),
        site_btc_chart(views, events),
        site_efficiency_chart(views, events),
        yield_chart(views, events, label="Site"),
        share_chart(views, events, label="Site"),
    ]
