"""The company page's release on a phone and a desktop: the header, the summary and cards of one month."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

OVERVIEW = "/companies/cleanspark"
SHOTS_DIR = os.environ.get("SCREENSHOTS_DIR")


@pytest.mark.parametrize(("width", "name"), [(390, "phone"), (1280, "desktop")])
def test_release_header_and_cards(open_page, tmp_path: Path, width: int, name: str) -> None:
    page, problems = open_page(f"{OVERVIEW}?release=2025-01", width=width, height=844 if width < 600 else 900)
    header = page.locator("#release-title")
    assert header.is_visible()
    text = header.inner_text()
    assert "January 2025 release" in text and "published" in text and "source:" in text
    cards = page.locator(".kpis .kpi")
    assert cards.count() == 5
    assert {cards.nth(i).get_attribute("data-period") for i in range(cards.count())} == {"2025-01"}
    mined = page.locator('.kpi[data-metric="btc_mined"] .kpi-value')
    assert mined.inner_text().startswith("626 BTC")
    assert page.locator('.kpi[data-metric="btc_held_end"] .kpi-value').inner_text().startswith("10,556 BTC")
    assert "626 BTC mined" in page.locator(".release-summary").inner_text()
    # Nothing sticks out sideways on a phone: the cards and the header fit the viewport.
    box = page.locator(".release").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    # Choosing another release with the selector goes to its permalink.
    page.select_option('.release-picker select[name="release"]', "2024-12")
    page.click(".release-picker button")
    page.wait_for_url("**release=2024-12**")
    assert "December 2024 release" in page.locator("#release-title").inner_text()
    page.goto(page.url.replace("release=2024-12", "release=2025-01"))
    shots = Path(SHOTS_DIR or tmp_path)
    page.screenshot(path=str(shots / f"release-{name}.png"), full_page=False)
    page.locator(".release").screenshot(path=str(shots / f"release-{name}-cards.png"))
    assert problems.all() == []
