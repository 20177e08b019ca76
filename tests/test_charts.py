"""Pure chart building: series, styling of caveats, gaps, alt text, colours, site projections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.domain import charts
from app.domain.metrics import METRICS
from app.domain.reports import FigureSource, MonthView, SiteFigures, site_series
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


def test_site_series_projects_one_site_with_its_own_yield() -> None:
    site = Site(id=1, slug="north", name="North")
    figures = SiteFigures(
        site_slug="north",
        values={"btc_mined": Decimal("62"), "hashrate_avg_ehs": Decimal("4")},
        sources={"btc_mined": FigureSource("https://example.test/s", False, is_illustrative=True)},
        is_illustrative=True,
    )
    view = _view(dt.date(2025, 1, 1), btc_mined=Decimal("100"), network_hashrate_avg_ehs=Decimal("800"))
    view.sites["north"] = figures
    (projected,) = site_series([view], site.slug)
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
    assert chart.figure["notes"] == ["", "<br>Source: https://example.test/release"]
    assert hover_notes(chart.figure, mined) == ["<br>Source: https://example.test/release"] * 3
    # Sales are drawn below the axis, but the hover shows the positive figure the company published.
    assert sold["y"] == [-4.0, -4.0, -4.0]
    assert [ref[0] for ref in sold["customdata"]] == [4.0, 4.0, 4.0]
    assert "%{customdata[0]:,.2f} BTC" in sold["hovertemplate"]
    assert "%{y:,.2f} BTC" in mined["hovertemplate"]


def test_overview_charts_are_found_by_their_own_key() -> None:
    views = [_view(dt.date(2025, 1, 1), btc_mined_total=Decimal("10"))]
    for key, build in charts.OVERVIEW_CHARTS.items():
        assert build(views, [], [], ()).key == key
    assert [c.key for c in charts.overview_charts(views, [], [])] == list(charts.OVERVIEW_CHARTS)
