"""Without JavaScript the pages still work (links, the GET form, tables); with it, drawing moves nothing."""

from __future__ import annotations

import pytest

from tests.e2e.drawing import draw_charts

pytestmark = pytest.mark.e2e


def _layout(page) -> dict[str, float]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.chart, .legend-note')].map(
             el => [el.id || el.className, el.getBoundingClientRect().top + window.scrollY]))"""
    )


def test_ranges_and_tables_work_without_javascript(browser, live_server) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server + "/companies/cleanspark")
        page.get_by_role("link", name="24 months").click()
        page.wait_for_url("**?range=24m")
        summary = page.locator("details.data-table summary").first
        summary.click()
        rows = page.locator("details.data-table").first.locator("tbody tr")
        assert rows.count() == 24
        page.fill("input[name=from]", "2024-01")
        page.fill("input[name=to]", "2024-03")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**from=2024-01**")
        assert "Showing January 2024 – March 2024" in page.content()
    finally:
        context.close()


def test_drawing_the_charts_moves_nothing(browser, live_server) -> None:
    positions = []
    for js in (False, True):
        context = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(live_server + "/companies/cleanspark", wait_until="networkidle")
            # The whole document is parsed (the footer comes last) before anything is measured.
            page.locator(".site-footer").wait_for(state="attached", timeout=60000)
            if js:
                draw_charts(page)
                page.evaluate("window.scrollTo(0, 0)")
            positions.append(_layout(page))
        finally:
            context.close()
    without, with_js = positions
    assert without.keys() == with_js.keys() and len(without) >= 6
    for key, top in without.items():
        assert abs(with_js[key] - top) < 1, key
