"""The overview in a real Chromium: every chart drawn from the database's values, no errors, no CSP hits."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _wait_for_charts(page, count: int = 3) -> None:
    page.wait_for_function(f"document.querySelectorAll('[data-drawn=true]').length >= {count}", timeout=20000)


def test_overview_draws_three_charts_with_database_values(open_page) -> None:
    page, problems = open_page("/")
    _wait_for_charts(page)
    traces = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.chart')].map(el =>
             [el.id, el.data.map(t => ({name: t.name, x: t.x, y: t.y}))]))"""
    )
    assert set(traces) == {"chart-hashrate", "chart-btc_mined", "chart-treasury"}
    total = next(t for t in traces["chart-btc_mined"] if t["name"] == "Published company total")
    by_month = dict(zip(total["x"], total["y"], strict=True))
    assert by_month["2025-01-01"] == 626
    assert by_month["2025-02-01"] is None
    holdings = next(t for t in traces["chart-treasury"] if t["name"] == "Holdings at month end")
    assert dict(zip(holdings["x"], holdings["y"], strict=True))["2025-01-01"] == 10556
    # Plotly really drew them: an SVG with plotted points in each chart.
    assert page.locator(".chart .main-svg").count() >= 3
    assert problems.all() == []


def test_phone_width_has_no_horizontal_scroll(open_page) -> None:
    page, problems = open_page("/", width=375, height=812)
    _wait_for_charts(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert problems.all() == []


def test_dark_mode_renders(open_page, tmp_path: Path) -> None:
    page, problems = open_page("/", dark=True)
    _wait_for_charts(page)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(248, 250, 252)"  # not the light theme's background
    assert problems.all() == []
    page.screenshot(path=str(tmp_path / "overview-dark.png"), full_page=True)
