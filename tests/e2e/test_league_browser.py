"""The league table and the company list in a real Chromium: ranks, gaps, month navigation, phone width."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _rows(page) -> list[dict[str, str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#league-table tbody tr')].map(tr => ({
             company: tr.dataset.company,
             rank: tr.querySelector('.rank').textContent.trim(),
             mined: tr.querySelector('td[data-metric=btc_mined]').dataset.value}))"""
    )


def test_league_ranks_the_default_month_and_keeps_gaps_last(open_page, tmp_path: Path) -> None:
    page, problems = open_page("/league")
    assert page.get_by_role("heading", level=1).inner_text().startswith("League table May 2024")
    rows = _rows(page)
    assert [r["company"] for r in rows[:3]] == ["mara", "core-scientific", "cleanspark"]
    assert [r["rank"] for r in rows[:7]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert rows[0]["mined"] == "616"
    # Companies without a May 2024 release: a dash, no rank, after every ranked company.
    gaps = [r for r in rows if r["mined"] == ""]
    assert gaps and all(r["rank"] == "—" for r in gaps) and rows[-len(gaps) :] == gaps
    page.screenshot(path=str(tmp_path / "league.png"), full_page=True)
    # Ranking by holdings: CleanSpark is the only one with a figure that month.
    page.get_by_role("link", name="Treasury holdings").click()
    page.wait_for_url("**sort=btc_held_end**")
    assert _rows(page)[0]["company"] == "cleanspark"
    # The month picker is a plain GET form: another month, same sort.
    page.select_option("#league-month", "2025-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**month=2025-01**")
    assert "January 2025" in page.get_by_role("heading", level=1).inner_text()
    assert problems.all() == []


def test_league_and_company_list_fit_a_phone(open_page) -> None:
    for path in ("/league", "/", "/sources"):
        page, problems = open_page(path, width=390, height=844)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, path
        assert problems.all() == [], path
    page, _ = open_page("/", width=390, height=844)
    # Each company's sparkline is inline SVG drawn by the server.
    assert page.locator("#company-table svg .spark-line").count() >= 5
