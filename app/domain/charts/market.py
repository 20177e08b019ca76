"""The company's month against the market: share of network, reported vs realized hashrate, revenue in USD,
treasury in BTC and USD with its flows, hashprice with the halving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.domain.charts.figure import Chart, Series, finish
from app.domain.charts.layout import events_in
from app.domain.charts.points import company_points
from app.domain.reports import MonthView

if TYPE_CHECKING:
    from app.store.models import Event

RIGHT_AXIS_MARGIN = {"l": 64, "r": 60, "t": 16, "b": 40}  # left: as in layout.layout


def _right_axis(title: str, **extra: Any) -> dict[str, Any]:
    """A second value axis on the right, over the main one (its own unit, its own scale)."""
    return {
        "overlaying": "y",
        "side": "right",
        # Its own ticks, not the left axis' grid lines carried over (which gives 21.1, 42.2 …).
        "tickmode": "auto",
        "nticks": 6,
        "title": {"text": title},
        "showgrid": False,
        "separatethousands": True,
        "automargin": True,
        **extra,
    }


def share_chart(views: Sequence[MonthView], events: Sequence[Event], *, label: str = "Company") -> Chart:
    """Share of the network's hashrate, every month with a BTC-mined figure or a reported average hashrate."""
    periods = [v.period for v in views]
    points = company_points(views, "share_of_network_pct")
    series = [Series("share_of_network_pct", label, "share_of_network_pct", points, colour="#9333ea", width=2.5)]
    chart = Chart("share", "Share of network hashrate", "%", periods, series, events=events_in(events, periods))
    chart.note = "Average operating hashrate ÷ the network's average hashrate."
    if any(v.basis.get("share_of_network_pct") for v in views):
        chart.note += (
            " Diamonds: months without a reported average hashrate, where the share is BTC mined ÷ BTC issued to"
            " the network (the realized hashrate's share)."
        )
    if all(v.values.get("network_hashrate_avg_ehs") is None for v in views):
        chart.note = "No network figures for these months: the share cannot be computed."
    return finish(chart)


def realized_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    """Reported average operating hashrate and the hashrate the month's BTC implies, with the realization."""
    periods = [v.period for v in views]
    series = [
        # Bars under the line: where the two agree, both stay visible.
        Series(
            "hashrate_avg_ehs",
            "Reported average hashrate",
            "hashrate_avg_ehs",
            company_points(views, "hashrate_avg_ehs"),
            "bar",
            "#93c5fd",
        ),
        Series(
            "realized_hashrate_ehs",
            "Realized hashrate (from BTC mined)",
            "realized_hashrate_ehs",
            company_points(views, "realized_hashrate_ehs"),
            colour="#16a34a",
            width=2.5,
        ),
        Series(
            "realization_pct",
            "Realization (right axis)",
            "realization_pct",
            company_points(views, "realization_pct"),
            colour="#9ca3af",
            dash="dot",
            width=1.5,
            axis="y4",
        ),
    ]
    chart = Chart(
        "realized", "Reported vs realized hashrate", "EH/s", periods, series, events=events_in(events, periods)
    )
    chart.note = (
        "Bars: reported average hashrate. Line: realized = BTC mined ÷ BTC issued to the network (subsidy + fees) × "
        "network hashrate, what the output implies. Realization = realized ÷ reported (uptime, curtailment and pool "
        "luck in one number)."
    )
    extra: dict[str, Any] = {}
    if any(s.axis == "y4" and not s.is_empty for s in series):
        extra = {"yaxis4": _right_axis("%", rangemode="tozero"), "margin": RIGHT_AXIS_MARGIN}
    return finish(chart, **extra)


def revenue_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    """Mining revenue in USD: BTC mined at the month's average price."""
    periods = [v.period for v in views]
    series = [
        Series(
            "mining_revenue_usd",
            "Mining revenue",
            "mining_revenue_usd",
            company_points(views, "mining_revenue_usd"),
            "bar",
            "#0891b2",
        )
    ]
    chart = Chart("revenue", "Mining revenue", "USD", periods, series, events=events_in(events, periods))
    chart.note = "BTC mined × the month's average BTC price (daily closes); a month without either is a gap."
    return finish(chart)


def treasury_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    """Holdings at month end in BTC with their USD value (right axis); the month's flows in their own panel."""
    periods = [v.period for v in views]
    series = [
        Series(
            "btc_mined_total",
            "Mined in the month",
            "btc_mined_total",
            company_points(views, "btc_mined_total"),
            "bar",
            "#16a34a",
            axis="y3",
        ),
        Series(
            "btc_sold",
            "Sold in the month",
            "btc_sold",
            company_points(views, "btc_sold"),
            "bar",
            "#dc2626",
            negate=True,
            axis="y3",
        ),
        Series(
            "btc_held_end",
            "Holdings at month end",
            "btc_held_end",
            company_points(views, "btc_held_end"),
            colour="#d97706",
            width=2.5,
        ),
        Series(
            "treasury_value_usd",
            "Value at the month-end price (right axis)",
            "treasury_value_usd",
            company_points(views, "treasury_value_usd"),
            colour="#92400e",
            dash="dash",
            width=1.5,
            axis="y4",
        ),
    ]
    chart = Chart("treasury", "Treasury holdings", "BTC", periods, series, events=events_in(events, periods))
    chart.note = (
        "Top: holdings at month end (BTC, left) and their value at the month-end close (USD, right). "
        "Bottom: BTC mined (up) and sold (down) in the month, on their own scale."
    )
    return finish(
        chart,
        barmode="relative",
        xaxis={"anchor": "y3"},
        yaxis={"domain": [0.4, 1], "rangemode": "normal", "title": {"text": "BTC held"}},
        yaxis3={
            "domain": [0, 0.3],
            "title": {"text": "BTC / month"},
            "zeroline": True,
            "separatethousands": True,
            "automargin": True,
        },
        yaxis4=_right_axis("USD", rangemode="tozero", tickprefix="$", exponentformat="B"),
        margin=RIGHT_AXIS_MARGIN,
    )


def hashprice_chart(views: Sequence[MonthView], events: Sequence[Event]) -> Chart:
    """What one PH/s earned per day each month, with the halving marked."""
    periods = [v.period for v in views]
    series = [
        Series(
            "hashprice_usd_per_ph_day",
            "Hashprice",
            "hashprice_usd_per_ph_day",
            company_points(views, "hashprice_usd_per_ph_day"),
            colour="#be185d",
            width=2.5,
        )
    ]
    shown = events_in(events, periods)
    chart = Chart("hashprice", "Hashprice", "USD per PH/s per day", periods, series, events=shown)
    chart.note = (
        "Network block reward (subsidy + fees) in USD per PH/s per day, from monthly averages. The halving "
        "cut the subsidy in half."
    )
    halvings = [e for e in shown if str(getattr(e.kind, "value", e.kind)) == "halving"]
    annotations = [
        {
            "x": e.date.isoformat(),
            "y": 1,
            "xref": "x",
            "yref": "paper",
            "text": "Halving",
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "top",
            "font": {"size": 11},
            "yshift": -14,
        }
        for e in halvings
    ]
    return finish(chart, annotations=annotations)
