"""Pure chart building: series, styling of caveats, gaps, alt text, colours, site projections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.domain import charts
from app.domain.figure_sources import FigureSource
from app.domain.metrics import METRICS
from app.domain.month_views import site_view
from app.domain.reports import MonthView, SiteFigures
from app.store.models import Site
from tests.web_helpers import hover_notes


def _view(period: dt.date, **values: Decimal | None) -> MonthView:
    base = dict.fromkeys(METRICS)
    base.update(values)
    sources = {k: FigureSource("https://example.test/r", False) for k, v in values.items() if v is not None}
    return MonthView(period=period, values=base, sources=sources)


def test_colours_stay_distinct_past_the_palette() -> None:
    colours = [charts.colour(i) for i in range(40)]
    assert len(set(colours)) == 40
    assert colours[: len(charts.PALETTE)] == list(charts.PALETTE)


def test_treasury_draws_sales_below_the_axis_but_keeps_the_figure_positive() -> None:
    views = [_view(dt.date(2025, 1, 1), btc_sold=Decimal("12.5"), btc_held_end=Decimal("100"))]
    chart = charts.treasury_chart(views, [])
    sold = next(s for s in chart.series if s.key == "btc_sold")
    assert sold.points[0].value == Decimal("12.5")
    trace = next(t for t in chart.figure["data"] if t["name"] == "Sold in the month")
    assert trace["y"] == [-12.5]
    # A series with no figure at all is left out, not drawn as zeros.
    assert [s.key for s in chart.series] == ["btc_sold", "btc_held_end"]


def test_gaps_stay_none_and_alt_text_counts_them() -> None:
    views = [
        _view(dt.date(2025, 1, 1), fleet_efficiency_jth=Decimal("18")),
        _view(dt.date(2025, 2, 1)),
        _view(dt.date(2025, 3, 1), fleet_efficiency_jth=Decimal("17.5")),
    ]
    chart = charts.efficiency_chart(views, [], [])
    trace = chart.figure["data"][0]
    assert trace["y"] == [18.0, None, 17.5] and trace["connectgaps"] is False
    assert "latest 17.50 J/TH in March 2025" in chart.alt and "1 month(s) without a figure" in chart.alt
    assert "lower is better" in chart.note


def test_estimates_get_open_markers_and_say_why() -> None:
    view = _view(dt.date(2025, 1, 1), btc_held_end=Decimal("5"))
    view.sources["btc_held_end"] = FigureSource(None, True, quote="about 5 BTC")
    chart = charts.treasury_chart([view], [])
    trace = next(t for t in chart.figure["data"] if t["name"] == "Holdings at month end")
    assert trace["marker"]["symbol"] == ["circle-open"]
    note = hover_notes(chart.figure, trace)[0]
    assert "Estimate" in note and "about 5 BTC" in note


def test_a_site_view_projects_one_site_with_its_own_yield() -> None:
    site = Site(id=1, slug="north", name="North")
    figures = SiteFigures(
        site_slug="north",
        values={"btc_mined": Decimal("62"), "hashrate_avg_ehs": Decimal("4")},
        sources={"btc_mined": FigureSource("https://example.test/s", False, is_illustrative=True)},
        is_illustrative=True,
    )
    view = _view(dt.date(2025, 1, 1), btc_mined=Decimal("100"), network_hashrate_avg_ehs=Decimal("800"))
    view.sites["north"] = figures
    projected = site_view(view, site.slug)
    assert projected.values["btc_mined"] == Decimal("62")
    assert projected.values["btc_per_ehs_day"] == Decimal("62") / Decimal("4") / 31
    assert projected.values["share_of_network_pct"] == Decimal("0.5")
    assert projected.values["btc_held_end"] is None  # the company's treasury is not the site's
    chart = charts.site_btc_chart([projected], [])
    assert chart.figure["data"][0]["name"] == "BTC mined (illustrative)"


def test_hover_notes_are_sent_once_and_sales_hover_as_published() -> None:
    shared = FigureSource("https://example.test/release", False)
    views = []
    for month in (1, 2, 3):
        view = _view(dt.date(2025, month, 1), btc_mined_total=Decimal("10"), btc_sold=Decimal("4"))
        view.sources["btc_mined_total"] = shared
        view.sources["btc_sold"] = shared
        views.append(view)
    chart = charts.treasury_chart(views, [])
    mined = next(t for t in chart.figure["data"] if t["name"] == "Mined in the month")
    sold = next(t for t in chart.figure["data"] if t["name"] == "Sold in the month")
    # One note for the six figures that share a source, plus the empty note.
    # The source is named by its publisher (the link's host, no title being stored), not by its URL.
    assert chart.figure["notes"] == ["", "<br>Source: example.test"]
    assert hover_notes(chart.figure, mined) == ["<br>Source: example.test"] * 3
    # Sales are drawn below the axis, but the hover shows the positive figure the company published.
    assert sold["y"] == [-4.0, -4.0, -4.0]
    assert [ref[0] for ref in sold["customdata"]] == [4.0, 4.0, 4.0]
    # BTC as reported: d3's `~` drops the zeros of the stored eight decimals (587.00000000 reads 587).
    assert "%{customdata[0]:,.8~f} BTC" in sold["hovertemplate"]
    assert "%{y:,.8~f} BTC" in mined["hovertemplate"]


def test_overview_charts_are_found_by_their_own_key() -> None:
    views = [_view(dt.date(2025, 1, 1), btc_mined_total=Decimal("10"))]
    for key, build in charts.OVERVIEW_CHARTS.items():
        assert build(views, [], [], ()).key == key
    assert [c.key for c in charts.overview_charts(views, [], [])] == list(charts.OVERVIEW_CHARTS)


def test_share_uses_diamonds_where_it_comes_from_btc_mined() -> None:
    from app.domain.derived import REALIZED_SHARE_BASIS

    reported = _view(dt.date(2025, 1, 1), share_of_network_pct=Decimal("5"), network_hashrate_avg_ehs=Decimal(800))
    realized = _view(dt.date(2025, 2, 1), share_of_network_pct=Decimal("4.5"), network_hashrate_avg_ehs=Decimal(800))
    realized.basis["share_of_network_pct"] = REALIZED_SHARE_BASIS
    realized.sources["btc_mined"] = FigureSource("https://example.test/r", False)
    chart = charts.share_chart([reported, _view(dt.date(2025, 3, 1)), realized], [])
    trace = chart.figure["data"][0]
    assert trace["y"] == [5.0, None, 4.5]
    assert trace["marker"]["symbol"] == ["circle", "circle", "diamond"]
    assert REALIZED_SHARE_BASIS in hover_notes(chart.figure, trace)[2]
    assert "Diamonds" in (chart.note or "")


def test_treasury_flows_have_their_own_panel_and_the_value_its_own_axis() -> None:
    view = _view(
        dt.date(2025, 1, 1),
        btc_mined_total=Decimal(626),
        btc_sold=Decimal(0),
        btc_held_end=Decimal(10556),
        treasury_value_usd=Decimal("1080987391.12"),
    )
    chart = charts.treasury_chart([view], [])
    axes = {t["name"]: t.get("yaxis", "y") for t in chart.figure["data"] if t["name"] != "Events"}
    assert axes == {
        "Mined in the month": "y3",
        "Sold in the month": "y3",
        "Holdings at month end": "y",
        "Value at the month-end price (right axis)": "y4",
    }
    layout = chart.figure["layout"]
    assert layout["yaxis3"]["domain"][1] < layout["yaxis"]["domain"][0]  # flows below, holdings above
    assert layout["yaxis4"]["overlaying"] == "y" and layout["yaxis4"]["side"] == "right"
    assert layout["xaxis"]["anchor"] == "y3"


def test_realized_chart_and_hashprice_mark_the_halving() -> None:
    from app.domain.enums import EventKind

    views = [
        _view(dt.date(2024, 4, 1), hashprice_usd_per_ph_day=Decimal("94.56"), realized_hashrate_ehs=Decimal(17)),
        _view(dt.date(2024, 5, 1), hashprice_usd_per_ph_day=Decimal("51.93"), hashrate_avg_ehs=Decimal(18)),
    ]

    class Halving:
        date = dt.date(2024, 4, 20)
        title = "Fourth halving"
        kind = EventKind.halving

    price = charts.hashprice_chart(views, [Halving()])  # type: ignore[list-item]
    assert price.figure["layout"]["annotations"][0]["text"] == "Halving"
    assert price.figure["layout"]["annotations"][0]["x"] == "2024-04-20"
    realized = charts.realized_chart(views, [])
    kinds = {t["name"]: t["type"] for t in realized.figure["data"] if t["name"] != "Events"}
    assert kinds == {"Reported average hashrate": "bar", "Realized hashrate (from BTC mined)": "scatter"}


def test_sparkline_breaks_at_gaps() -> None:
    line = charts.sparkline([Decimal(10), Decimal(20), None, Decimal(5), None, None], width=60, height=20)
    assert len(line.paths) == 1 and line.paths[0].startswith("M") and line.known == 3 and line.months == 6
    assert len(line.dots) == 1  # the lone month after the gap, which is also the latest
    assert charts.sparkline([None, None]).empty
