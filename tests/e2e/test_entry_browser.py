"""Monthly entry in a real Chromium: log in, enter a month for three sites, fix a bad value, publish, and
see the investor overview change."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.schemas import parse_period
from app.store.models import Company, CompanyMonth, Site, SiteMonth
from app.store.queries import bump_data_revision
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def editor_email(engine: Engine, live_server: str) -> str:
    with Session(engine) as session, session.begin():
        user = make_user(session, email="browser-editor@example.com")
        return user.email


@pytest.fixture
def entered(engine: Engine, live_server: str):
    """The months this test enters; removed afterwards so the other browser tests see the demo data only."""
    periods: list[str] = []
    yield periods
    with Session(engine) as session, session.begin():
        company = session.scalar(select(Company).where(Company.slug == "cleanspark"))
        assert company is not None
        for text in periods:
            period = parse_period(text)
            site_ids = select(Site.id).where(Site.company_id == company.id)
            session.execute(delete(SiteMonth).where(SiteMonth.period == period, SiteMonth.site_id.in_(site_ids)))
            session.execute(
                delete(CompanyMonth).where(CompanyMonth.period == period, CompanyMonth.company_id == company.id)
            )
        bump_data_revision(session=session)


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + "/staff/**")


def _overview_btc_kpi(page, base: str) -> tuple[str, str]:
    page.goto(base + "/companies/cleanspark", wait_until="networkidle")
    showing = page.locator(".page-head p").inner_text()
    value = page.locator('.kpi[data-metric="btc_mined"] .kpi-value').get_attribute("data-value") or ""
    return showing, value


def test_enter_fix_publish_and_see_the_overview_change(
    open_page, live_server: str, engine, editor_email, entered
) -> None:
    with Session(engine) as session:
        company = session.scalar(select(Company).where(Company.slug == "cleanspark"))
        assert company is not None
        sites = list(session.scalars(select(Site).where(Site.company_id == company.id).order_by(Site.name)))
    assert len(sites) == 3

    page, problems = open_page("/staff/login")
    _log_in(page, live_server, editor_email)

    # Choose the next month: the form suggests the month after the last one entered.
    page.goto(live_server + "/staff/companies/cleanspark/months/new")
    period = page.locator("#period").input_value()
    entered.append(period)
    page.get_by_role("button", name="Open the form").click()
    page.wait_for_url(f"**/months/{period}")
    month_name = page.locator("h1").inner_text().split(": ", 1)[1]
    showing_before, _ = _overview_btc_kpi(page, live_server)
    assert month_name not in showing_before
    page.goto(f"{live_server}/staff/companies/cleanspark/months/{period}", wait_until="networkidle")

    values = {"btc_mined": ("300.5", "200.25", "100"), "hashrate_avg_ehs": ("20", "12", "6")}
    for i, site in enumerate(sites):
        page.get_by_label(f"{site.name}: BTC mined (BTC)").fill(values["btc_mined"][i])
        page.get_by_label(f"{site.name}: Average operating hashrate (EH/s)").fill(values["hashrate_avg_ehs"][i])
        page.get_by_label(f"{site.name}: Deployed hashrate (EH/s)").fill("25")
    page.get_by_label("Company: BTC mined (published company total) (BTC)").fill("602")
    # Live totals as the editor types (600.75 from the sites, 1.25 not allocated).
    assert page.locator("#total-sites-btc").inner_text() == "600.75"
    assert page.locator("#total-unallocated").inner_text() == "1.25"

    # A bad value: the fleet efficiency of the second site is out of range.
    bad = page.get_by_label(f"{sites[1].name}: Fleet efficiency (J/TH)")
    bad.fill("75")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    error_id = (bad.get_attribute("aria-describedby") or "").strip()
    assert error_id, "the bad field points at its message"
    assert page.locator(f"#{error_id}").inner_text() == "Fleet efficiency must be between 5 and 60 J/TH"
    assert page.locator("#error-summary").is_visible()
    # Every other value is kept.
    for i, site in enumerate(sites):
        assert page.get_by_label(f"{site.name}: BTC mined (BTC)").input_value() == values["btc_mined"][i]
    assert page.get_by_label("Company: BTC mined (published company total) (BTC)").input_value() == "602"
    assert bad.input_value() == "75"

    # Fix it and publish.
    page.get_by_label(f"{sites[1].name}: Fleet efficiency (J/TH)").fill("17.5")
    page.get_by_role("button", name="Save and publish").click()
    page.wait_for_url("**saved=published**")
    assert "Published" in page.locator(".flash").inner_text()
    assert page.locator("#month-status").inner_text() == "published"
    assert page.locator("#total-sites-btc").inner_text() == "600.75"
    # Switching the hashrate unit keeps the quantity: 20 EH/s reads 20000 PH/s.
    page.select_option("#hashrate_unit", "PH/s")
    assert page.get_by_label(f"{sites[0].name}: Average operating hashrate (PH/s)").input_value() == "20000"

    showing_after, btc = _overview_btc_kpi(page, live_server)
    assert month_name in showing_after
    assert btc == "602"
    # Chromium logs the intended 422 answer as a failed load; anything else is a real problem.
    expected = "error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert [p for p in problems.all() if p != expected] == []
