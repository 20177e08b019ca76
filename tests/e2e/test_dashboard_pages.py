"""Ranges, permalinks, site pages, compare and CSV downloads in a real Chromium."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.drawing import draw_charts

pytestmark = pytest.mark.e2e


def _wait(page, count: int | None = None) -> None:
    """Until every chart on the page (or `count` of them) is drawn."""
    draw_charts(page, count)


def _x(page, chart: str, name: str) -> list[str]:
    return page.evaluate("([id, name]) => document.getElementById(id).data.find(t => t.name === name).x", [chart, name])


def test_choosing_a_range_changes_the_url_and_the_charts(open_page, live_server) -> None:
    page, problems = open_page("/companies/cleanspark")
    _wait(page)
    all_months = _x(page, "chart-btc_mined", "Published company total")
    page.get_by_role("link", name="12 months").click()
    page.wait_for_url("**/companies/cleanspark?range=12m")
    _wait(page)
    twelve = _x(page, "chart-btc_mined", "Published company total")
    assert len(twelve) == 12 < len(all_months)
    assert twelve[-1] == all_months[-1]
    # A custom range through the GET form, then reloaded from its URL: the same view.
    page.fill("input[name=from]", "2024-01")
    page.fill("input[name=to]", "2024-06")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**from=2024-01**")
    _wait(page)
    assert _x(page, "chart-treasury", "Holdings at month end") == [f"2024-0{m}-01" for m in range(1, 7)]
    url = page.url
    page.goto(url, wait_until="networkidle")
    _wait(page)
    assert _x(page, "chart-treasury", "Holdings at month end")[0] == "2024-01-01"
    assert problems.all() == []


def test_site_filter_from_the_form(open_page) -> None:
    page, problems = open_page("/companies/cleanspark")
    _wait(page)
    page.get_by_role("checkbox", name="Georgia").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**site=georgia**")
    _wait(page)
    names = page.evaluate("document.getElementById('chart-btc_mined').data.map(t => t.name)")
    assert "Georgia (illustrative)" in names and "Tennessee (illustrative)" not in names
    assert problems.all() == []


def test_chart_table_toggle_and_csv_download(open_page, live_server) -> None:
    page, problems = open_page("/companies/cleanspark?range=24m")
    _wait(page)
    table = page.locator("#chart-btc_mined").locator("xpath=..").locator("details.data-table")
    table.locator("summary").click()
    assert table.locator("table").is_visible()
    with page.expect_download() as info:
        page.locator("#chart-btc_mined-title").locator("xpath=../..").get_by_role("link", name="CSV").click()
    download = info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 24
    assert "Published company total (BTC)" in rows[0] and "Published company total: source" in rows[0]
    assert problems.all() == []


def test_site_page_and_compare_draw_without_errors(open_page) -> None:
    page, problems = open_page("/companies/cleanspark/sites/georgia")
    _wait(page, 4)
    assert page.locator(".site-capacity").inner_text() == "600 MW"
    assert problems.all() == []
    page, problems = open_page("/compare?metric=fleet_efficiency_jth&range=all")
    _wait(page, 1)
    names = page.evaluate("document.getElementById('chart-compare').data.map(t => t.name)")
    # Only the miners that published an efficiency are drawn; the page names the others.
    assert "CleanSpark" in names and "Bitfarms" in names and "Hut 8" not in names
    assert "Comparing needs" not in page.content()
    assert problems.all() == []


def test_keyboard_reaches_the_skip_link_and_range_links(open_page) -> None:
    page, _ = open_page("/companies/cleanspark")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "12 months" in focused


@pytest.mark.parametrize(
    "path", ["/companies/cleanspark/sites/tennessee", "/compare", "/companies/cleanspark?site=wyoming"]
)
def test_other_pages_fit_a_phone(open_page, path: str) -> None:
    page, problems = open_page(path, width=375, height=812)
    _wait(page)
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert problems.all() == []


HOVER = """([id, name]) => {
  const el = document.getElementById(id);
  const i = el.data.findIndex(t => t.name === name);
  const y = el.data[i].y;
  let j = y.length - 1;
  while (y[j] === null) j--;
  Plotly.Fx.hover(el, [{curveNumber: i, pointNumber: j}]);
  return el.querySelector('.hoverlayer').textContent;
}"""


def test_hover_shows_the_figure_and_its_source(open_page) -> None:
    page, problems = open_page("/companies/cleanspark")
    _wait(page)
    latest = page.locator('.kpi[data-metric="btc_held_end"] .kpi-value').inner_text().split()[0]
    holdings = page.evaluate(HOVER, ["chart-treasury", "Holdings at month end"])
    # The source is named (its document's title or publisher's host), not given as a bare URL.
    assert f"{latest} BTC" in holdings and "Source: " in holdings and "Source: https://" not in holdings
    # Sales are drawn below the axis; the hover gives the figure as published, positive.
    sold = page.evaluate(HOVER, ["chart-treasury", "Sold in the month"])
    assert "BTC" in sold and "−" not in sold and "-" not in sold.split("BTC")[0]
    # An illustrative site split says so where the number is read.
    site = page.evaluate(HOVER, ["chart-btc_mined", "Georgia (illustrative)"])
    assert "Illustrative: a demo split" in site
    assert problems.all() == []


def test_whole_table_page_from_the_overview(open_page) -> None:
    page, problems = open_page("/companies/cleanspark")
    table = page.locator("#chart-btc_mined").locator("xpath=..").locator("details.data-table")
    table.locator("summary").click()
    assert table.locator("tbody tr").count() == 24
    table.get_by_role("link", name="as a table").click()
    page.wait_for_url("**/companies/cleanspark/charts/btc_mined")
    months = page.locator("tbody tr").count()
    assert months > 24
    assert page.get_by_role("heading", level=1).inner_text().startswith("BTC mined per month")
    assert problems.all() == []
