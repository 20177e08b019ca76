"""The month form with the keyboard only, in a real Chromium: a failed submit puts the focus on the error
summary at the top; its links take the focus to each field; the reason error, the treasury warning and a
removal to confirm show together; every typed value is kept; fixing and confirming saves the correction."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.store.models import Company, CompanyMonth, RecordStatus, Site, SiteMonth, User, UserRole
from app.store.queries import bump_data_revision
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.e2e

EMAIL = "keyboard-editor@example.com"
# A month the demo data does not use, and the one before it (its holdings start the roll-forward); inside the
# demo sites' life (Georgia is energized in January 2021), so the site's figures can be corrected.
PERIOD = dt.date(2021, 3, 1)
PREVIOUS = dt.date(2021, 2, 1)
SHOTS_DIR = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def published_month(engine: Engine, live_server: str):
    """A published month of CleanSpark (company row and the first site), removed again afterwards."""
    with Session(engine) as session, session.begin():
        if session.scalar(select(User).where(User.email == EMAIL)) is None:
            make_user(session, email=EMAIL, role=UserRole.editor)
        company = session.scalar(select(Company).where(Company.slug == "cleanspark"))
        assert company is not None
        site = session.scalars(select(Site).where(Site.company_id == company.id).order_by(Site.name)).first()
        assert site is not None
        published = {"status": RecordStatus.published, "published_at": dt.datetime(2021, 4, 5, tzinfo=dt.UTC)}
        session.add(CompanyMonth(company_id=company.id, period=PREVIOUS, btc_held_end=Decimal(100), **published))
        session.add(
            CompanyMonth(
                company_id=company.id,
                period=PERIOD,
                btc_mined_total=Decimal(10),
                btc_sold=Decimal(0),
                btc_held_end=Decimal(110),
                **published,
            )
        )
        session.add(
            SiteMonth(
                site_id=site.id,
                period=PERIOD,
                btc_mined=Decimal(10),
                hashrate_avg_ehs=Decimal(2),
                hashrate_deployed_ehs=Decimal(3),
                fleet_efficiency_jth=Decimal(20),
                uptime_pct=Decimal(97),
                **published,
            )
        )
        company_id, site_id, site_name = company.id, site.id, site.name
    yield company_id, site_id, site_name
    with Session(engine) as session, session.begin():
        session.execute(delete(SiteMonth).where(SiteMonth.site_id == site_id, SiteMonth.period == PERIOD))
        session.execute(
            delete(CompanyMonth).where(
                CompanyMonth.company_id == company_id, CompanyMonth.period.in_([PERIOD, PREVIOUS])
            )
        )
        bump_data_revision(session=session)


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def _tab_to(page, element_id: str, limit: int = 300) -> None:
    """Press Tab until the element with this id has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if _focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id} on {page.url}: {page.title()}")


def _shift_tab_to_link(page, href: str, limit: int = 300) -> None:
    for _ in range(limit):
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            return
        page.keyboard.press("Shift+Tab")
    raise AssertionError(f"Shift+Tab never reached the link to {href}")


def _type_over(page, text: str) -> None:
    page.keyboard.press("Control+A")
    if text:
        page.keyboard.type(text)
    else:
        page.keyboard.press("Delete")


def test_failed_submit_focuses_the_summary_and_every_problem_is_reachable_by_keyboard(
    open_page, live_server: str, engine: Engine, published_month, tmp_path: Path
) -> None:
    _, site_id, site_name = published_month
    page, problems = open_page("/staff/login")
    _tab_to(page, "email")
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/staff/" in url and "/login" not in url)

    page.goto(f"{live_server}/staff/companies/cleanspark/months/2021-03", wait_until="networkidle")
    efficiency, uptime = f"site-{site_id}-fleet_efficiency_jth", f"site-{site_id}-uptime_pct"
    _tab_to(page, efficiency)
    _type_over(page, "75")  # out of range
    _tab_to(page, uptime)
    _type_over(page, "")  # a published figure emptied
    _tab_to(page, "company-btc_held_end")
    _type_over(page, "113")  # holdings no longer roll forward
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits with the form's default button: save the correction
    page.wait_for_load_state("networkidle")

    # The summary has the focus, is the first thing in the page, and lists every problem together.
    assert _focused(page) == "error-summary"
    assert page.evaluate("document.querySelector('main').firstElementChild.id") == "error-summary"
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert" and summary.get_attribute("tabindex") == "-1"
    text = summary.inner_text()
    assert "Fleet efficiency must be between 5 and 60 J/TH" in text
    assert "Treasury" in text and "+3 BTC" in text
    assert "Published figures removed" in text and "Reason" in text
    links = summary.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        f"#{efficiency}",
        "#confirm_treasury",
        "#confirm_removals",
        "#reason",
    ]
    # Every typed value is kept.
    assert page.locator(f"#{efficiency}").input_value() == "75"
    assert page.locator(f"#{uptime}").input_value() == ""
    assert page.locator("#company-btc_held_end").input_value() == "113"
    # The reason's own error and the treasury warning are both on the page.
    assert page.locator("#reason-error").is_visible() and page.locator("#confirm_treasury").is_visible()
    page.screenshot(path=str(Path(SHOTS_DIR or tmp_path) / "entry-error-summary.png"))

    # Each link takes the focus to its field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"#{efficiency}"
    page.keyboard.press("Enter")
    assert _focused(page) == efficiency
    _type_over(page, "18")
    # Back up to the summary (Shift+Tab) and follow each remaining link: the focus lands on its field.
    for target in ("confirm_treasury", "confirm_removals", "reason"):
        _shift_tab_to_link(page, f"#{target}")
        page.keyboard.press("Enter")
        assert _focused(page) == target
        if target == "reason":
            page.keyboard.type(f"{site_name}: uptime withdrawn, holdings restated")
        else:
            page.keyboard.press("Space")
            assert page.locator(f"#{target}").is_checked()
    page.keyboard.press("Enter")  # in the reason field: submit
    page.wait_for_url("**saved=correction**")
    assert "Correction saved" in page.locator(".flash").inner_text()

    with Session(engine) as session:
        row = session.scalar(select(SiteMonth).where(SiteMonth.site_id == site_id, SiteMonth.period == PERIOD))
        assert row is not None and row.uptime_pct is None and row.fleet_efficiency_jth == 18
        assert row.revision_reason is not None and "uptime withdrawn" in row.revision_reason
    expected = "error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert [p for p in problems.all() if p != expected] == []
