"""The overview in a real Chromium: every chart drawn from the database's values, no errors, no CSP hits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.drawing import draw_charts

pytestmark = pytest.mark.e2e

CHARTS = {
    f"chart-{key}"
    for key in ("hashrate", "btc_mined", "realized", "share", "yield", "revenue", "treasury", "efficiency", "hashprice")
}
OVERVIEW = "/companies/cleanspark"


def _wait_for_charts(page, count: int = len(CHARTS)) -> None:
    draw_charts(page, count)


def _traces(page) -> dict[str, list[dict]]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.chart')].map(el =>
             [el.id, el.data.map(t => ({name: t.name, x: t.x, y: t.y}))]))"""
    )


def test_overview_draws_every_chart_with_database_values(open_page) -> None:
    page, problems = open_page(OVERVIEW)
    _wait_for_charts(page)
    traces = _traces(page)
    assert set(traces) == CHARTS
    total = next(t for t in traces["chart-btc_mined"] if t["name"] == "Published company total")
    by_month = dict(zip(total["x"], total["y"], strict=True))
    assert by_month["2025-01-01"] == 626
    assert by_month["2025-02-01"] is None
    holdings = next(t for t in traces["chart-treasury"] if t["name"] == "Holdings at month end")
    assert dict(zip(holdings["x"], holdings["y"], strict=True))["2025-01-01"] == 10556
    assert any(t["name"].endswith("(illustrative)") for t in traces["chart-hashrate"])
    for key, chart in traces.items():
        assert any(t["name"] == "Events" and t["x"] for t in chart), key
    # Plotly really drew them: an SVG in each chart.
    assert page.locator(".chart .main-svg").count() >= len(CHARTS)
    assert problems.all() == []


def test_phone_width_has_no_horizontal_scroll(open_page) -> None:
    page, problems = open_page(OVERVIEW, width=375, height=812)
    _wait_for_charts(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    # Opening a table keeps the page itself from scrolling sideways (the table scrolls in its box).
    page.locator("details.data-table summary").first.click()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert problems.all() == []


def test_dark_mode_renders(open_page, tmp_path: Path) -> None:
    page, problems = open_page(OVERVIEW, dark=True)
    _wait_for_charts(page)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(248, 250, 252)"  # not the light theme's background
    # The charts follow: light text on the dark page.
    font = page.evaluate("document.getElementById('chart-btc_mined').layout.font.color")
    assert font == "#e5e7eb"
    assert problems.all() == []
    page.screenshot(path=str(tmp_path / "overview-dark.png"), full_page=True)


def test_charts_below_the_fold_are_drawn_when_they_come_into_view(open_page) -> None:
    page, problems = open_page(OVERVIEW)
    page.locator("#chart-hashrate[data-drawn=true]").wait_for(timeout=60000)
    # The last chart is screens away: not drawn (no SVG, no data) until the reader gets there.
    last = page.locator("#chart-hashprice")
    assert last.get_attribute("data-drawn") is None
    assert page.locator("#chart-hashprice .main-svg").count() == 0
    last.scroll_into_view_if_needed()
    page.locator("#chart-hashprice[data-drawn=true]").wait_for(timeout=60000)
    assert page.locator("#chart-hashprice .main-svg").count() > 0
    assert problems.all() == []


TOPS = """Object.fromEntries([...document.querySelectorAll('[data-figure]')]
  .map(el => [el.id, el.getBoundingClientRect().top]))"""
MARKS = """() => performance.getEntriesByType('mark')
  .filter(m => m.name === 'chart-draw' || m.name === 'chart-drawn')
  .map(m => [m.name, m.detail, m.startTime])"""


def test_charts_in_view_are_drawn_before_the_ones_only_near_it(open_page) -> None:
    page, _ = open_page(OVERVIEW)
    top = page.evaluate(TOPS)
    in_view = {"chart-hashrate", "chart-btc_mined"}  # the first row of two
    # A window that ends 100 px above the second row: the first row is in view, the second within the
    # observer's 200 px margin.
    height = int(min(top["chart-realized"], top["chart-share"])) - 100
    assert height > max(top[chart] for chart in in_view) + 50
    page, problems = open_page(OVERVIEW, height=height)
    for chart in ("hashrate", "btc_mined", "realized", "share"):
        page.locator(f"#chart-{chart}[data-drawn=true]").wait_for(timeout=60000)
    marks = page.evaluate(MARKS)
    drawn_in_view = max(t for name, chart, t in marks if name == "chart-drawn" and chart in in_view)
    near_started = [t for name, chart, t in marks if name == "chart-draw" and chart not in in_view]
    assert near_started and min(near_started) > drawn_in_view
    # Nothing further down is drawn before it comes near.
    assert page.locator("#chart-hashprice").get_attribute("data-drawn") is None
    assert problems.all() == []


@pytest.mark.parametrize("width", [1280, 375])
def test_value_axis_labels_fit_the_left_margin(open_page, width: int) -> None:
    # When tick labels do not fit the margin the server asked for, Plotly widens it and draws the chart a second
    # time (which nearly doubled the BTC-mined chart's drawing time): every chart's labels must fit.
    page, problems = open_page(OVERVIEW, width=width, height=900)
    _wait_for_charts(page)
    margins = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.chart')].map(el =>
             [el.id, [el.layout.margin.l, Math.round(el._fullLayout._size.l)]]))"""
    )
    assert set(margins) == CHARTS
    assert {key: pair for key, pair in margins.items() if pair[0] != pair[1]} == {}
    assert problems.all() == []


LEGEND_FIT = """() => [...document.querySelectorAll('.chart')].filter(el => el._fullLayout.showlegend).map(el => {
  const top = el.getBoundingClientRect().top;
  const labels = [...el.querySelectorAll('.xaxislayer-above .xtick text')]
    .map(t => t.getBoundingClientRect()).filter(r => r.height > 0);
  const legend = el._fullLayout.legend;
  const size = el._fullLayout._size;
  return {
    id: el.id,
    asked: el.layout.margin.b,
    used: Math.round(size.b),
    labelsBottom: Math.max(...labels.map(r => r.bottom)) - top,
    legendTop: el.querySelector('.legend').getBoundingClientRect().top - top,
    // What the legend leaves unused of the bottom margin: the gap under the axis, the legend, Plotly's 12 px.
    spare: size.b - (legend._effHeight + (el._fullLayout.height - size.t - size.b) * -legend.y + 12),
  };
})"""


@pytest.mark.parametrize("width", [1280, 375])
def test_legend_fits_the_bottom_margin_it_was_given(open_page, width: int) -> None:
    # A horizontal legend taller than the bottom margin makes Plotly grow the margin and draw the legend again
    # (charts.js works out the margin the legend needs before drawing): every chart's legend must fit the
    # margin it was given, sit under the date labels, and leave no empty band below itself.
    page, problems = open_page(OVERVIEW, width=width, height=900)
    _wait_for_charts(page)
    charts = page.evaluate(LEGEND_FIT)
    assert {c["id"] for c in charts} == CHARTS
    assert {c["id"]: (c["asked"], c["used"]) for c in charts if c["asked"] != c["used"]} == {}
    assert [c["id"] for c in charts if c["legendTop"] < c["labelsBottom"] + 4] == []
    assert [c["id"] for c in charts if abs(c["spare"]) > 2] == []
    assert problems.all() == []


RESIZED = """() => [...document.querySelectorAll('.chart')].every(el =>
  Math.abs(el._fullLayout.width - el.getBoundingClientRect().width) < 1)"""


def _legend_problems(page) -> dict[str, list[str]]:
    charts = page.evaluate(LEGEND_FIT)
    return {
        "margin grown": [c["id"] for c in charts if c["asked"] != c["used"]],
        "over the date labels": [c["id"] for c in charts if c["legendTop"] < c["labelsBottom"] + 4],
        "empty band": [c["id"] for c in charts if abs(c["spare"]) > 2],
    }


def test_legend_is_refitted_when_the_window_is_resized(open_page) -> None:
    # Plotly redraws a chart at its new width from the layout it was given: the legend's margin, worked out for
    # the old width, is worked out again first (a phone turned, a window narrowed and widened again).
    page, problems = open_page(OVERVIEW, width=1280, height=900)
    _wait_for_charts(page)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for _ in range(100):
            page.wait_for_timeout(100)
            if page.evaluate(RESIZED):
                break
        page.wait_for_timeout(300)  # the last chart's redraw settled
        assert _legend_problems(page) == {"margin grown": [], "over the date labels": [], "empty band": []}, width
    assert problems.all() == []
