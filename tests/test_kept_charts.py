"""Finished charts kept while what they draw is equal: a correction draws again only the charts it reaches, and
each chart drawn is what a process that kept nothing draws."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from app.domain import charts
from app.domain.charts import figure, points
from app.domain.charts.kept import KeptCharts
from app.domain.figure_sources import FigureSource
from app.domain.metrics import METRICS
from app.domain.reports import MonthView, SiteFigures, month_range
from app.lru import Lru
from app.store.models import Site

MONTHS = month_range(dt.date(2024, 1, 1), dt.date(2024, 12, 1))
SOURCE = FigureSource("https://example.test/release", False)


def _views(held_in_june: Decimal = Decimal("1005")) -> list[MonthView]:
    views = []
    for i, period in enumerate(MONTHS):
        values: dict[str, Decimal | None] = dict.fromkeys(METRICS)
        values.update(
            btc_mined_total=Decimal(50 + i),
            btc_held_end=held_in_june if i == 5 else Decimal(1000 + i),
            hashrate_end_ehs=Decimal("10.5"),
            hashrate_avg_ehs=Decimal("10.1"),
        )
        site = SiteFigures(
            site_slug="north",
            is_illustrative=False,
            values={"btc_mined": Decimal(50 + i), "hashrate_end_ehs": Decimal("10.5")},
            sources={"btc_mined": SOURCE, "hashrate_end_ehs": SOURCE},
        )
        views.append(
            MonthView(
                period=period,
                values=values,
                sources={k: SOURCE for k, v in values.items() if v is not None},
                sites={"north": site},
            )
        )
    return views


SITES = [Site(id=1, company_id=1, slug="north", name="North")]


def _event(title: str) -> Any:
    return SimpleNamespace(date=dt.date(2024, 4, 20), title=title, kind="halving", source_url=None)


def _overview(views: list[MonthView], events: list[Any] = ()) -> dict[str, charts.Chart]:  # type: ignore[assignment]
    return {c.key: c for c in charts.overview_charts(views, SITES, events)}


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> KeptCharts:
    memo = KeptCharts()
    monkeypatch.setattr(figure, "KEPT_CHARTS", memo)
    return memo


def _from_nothing(monkeypatch: pytest.MonkeyPatch, views: list[MonthView], events: list[Any]) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(figure, "KEPT_CHARTS", KeptCharts())
        return {key: (c.figure, c.alt, c.note, c.series) for key, c in _overview(views, events).items()}


def test_equal_months_give_the_very_charts_drawn_before(kept: KeptCharts) -> None:
    first = _overview(_views())
    again = _overview(_views())  # equal views, not the same objects: what a build after a restart reads
    assert all(again[key] is chart for key, chart in first.items())


def test_a_correction_draws_again_only_the_charts_that_show_the_figure(
    kept: KeptCharts, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [_event("Halving")]
    before = _overview(_views(), events)
    after = _overview(_views(held_in_june=Decimal("1234.5")), events)
    redrawn = sorted(key for key, chart in after.items() if chart is not before[key])
    assert redrawn == ["treasury"]  # holdings: drawn only by the treasury chart
    assert 1234.5 in next(t for t in after["treasury"].figure["data"] if t["name"] == "Holdings at month end")["y"]
    drawn = {key: (c.figure, c.alt, c.note, c.series) for key, c in after.items()}
    assert drawn == _from_nothing(monkeypatch, _views(held_in_june=Decimal("1234.5")), events)


def test_an_event_renamed_draws_every_chart_again(kept: KeptCharts, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _overview(_views(), [_event("Halving")])
    after = _overview(_views(), [_event("The fourth halving")])
    assert all(after[key] is not chart for key, chart in before.items())
    hover = next(t for t in after["hashrate"].figure["data"] if t["name"] == "Events")["hovertext"]
    assert "The fourth halving" in hover[0]


def test_charts_of_two_companies_with_alike_sites_are_both_kept(kept: KeptCharts) -> None:
    # Same chart keys, site slugs and months: one slot, two entries, each found again.
    one, other = _views(), _views(held_in_june=Decimal("1"))
    first, second = _overview(one), _overview(other)
    assert first["treasury"] is not second["treasury"]
    assert _overview(one)["treasury"] is first["treasury"]
    assert _overview(other)["treasury"] is second["treasury"]


def test_a_slot_keeps_its_latest_charts_only() -> None:
    memo = KeptCharts(slots=1, per_slot=2)
    drawn: list[str] = []

    def chart(title_note: str) -> charts.Chart:
        c = charts.Chart("k", "T", "BTC", [MONTHS[0]], [], note=title_note)
        return memo.finished(c, {}, lambda: drawn.append(title_note) or c)  # type: ignore[func-returns-value]

    for note in ("a", "b", "c", "b", "a"):
        chart(note)
    assert drawn == ["a", "b", "c", "a"]  # "b" was still kept, "a" had gone when "c" came


def test_no_page_changes_a_kept_chart(kept: KeptCharts) -> None:
    # Kept charts are shared by every reader of a process: finishing must copy nothing into them that a caller
    # could change later (the layout's axis settings are merged into new dicts, never into shared ones).
    first = _overview(_views(), [_event("Halving")])
    copies = {key: copy.deepcopy(c.figure) for key, c in first.items()}
    _overview(_views(held_in_june=Decimal("7")), [_event("Halving")])
    assert {key: c.figure for key, c in first.items()} == copies
    efficiency = first["efficiency"].figure["layout"]["yaxis"]
    assert efficiency["rangemode"] == "normal" and efficiency["title"] == {"text": "J/TH"}


def test_a_series_makes_again_only_the_points_of_months_whose_view_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(points, "KEPT_POINTS", Lru(16))
    views = _views()
    # Views built for one request are never held: only a page that says its views are kept keeps points.
    points.site_points(views, "btc_mined", "north")
    assert len(points.KEPT_POINTS) == 0
    with points.from_kept_views():
        _kept_points_of(views, monkeypatch)


def _kept_points_of(views: list[MonthView], monkeypatch: pytest.MonkeyPatch) -> None:
    first = points.site_points(views, "btc_mined", "north")
    assert points.site_points(list(views), "btc_mined", "north") is first  # the same months: the same points
    corrected = [*views[:5], _views(held_in_june=Decimal("1"))[5], *views[6:]]
    corrected[5].sites["north"].values["btc_mined"] = Decimal("99.5")
    again = points.site_points(corrected, "btc_mined", "north")
    assert [i for i, (a, b) in enumerate(zip(first, again, strict=True)) if a is not b] == [5]
    assert again[5].value == Decimal("99.5")
    with monkeypatch.context() as patch:
        patch.setattr(points, "KEPT_POINTS", Lru(16))
        assert points.site_points(corrected, "btc_mined", "north") == again  # what a build from nothing makes
    # Another range, or another first month, is another series: built whole.
    assert points.site_points(views[1:], "btc_mined", "north") == first[1:]
    assert points.company_points(corrected, "btc_held_end")[5].value == Decimal("1")
