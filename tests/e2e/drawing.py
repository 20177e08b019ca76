"""Waiting for charts in a real browser: static/js/charts.js draws a chart when it comes into view."""

from __future__ import annotations

from typing import Any


def draw_charts(page: Any, count: int | None = None) -> None:
    """Scroll each chart (the first `count`, default all) into view, then wait until each is drawn."""
    charts = page.locator("[data-figure]")
    count = count or charts.count()
    for i in range(count):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        # A selector wait, not wait_for_function: polling a JS string needs eval, which the page's CSP refuses.
        page.locator(f"#{chart.get_attribute('id')}[data-drawn=true]").wait_for(timeout=60000)
