"""A company value summed from some of the sites, in a real Chromium: the card and the table say "2 of 3 sites"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.store.models import Company, PageSnapshot, RecordStatus, Site, SiteMonth
from app.store.queries import bump_data_revision

pytestmark = pytest.mark.e2e


@pytest.fixture
def triad(engine: Engine, live_server: str) -> Iterator[str]:
    """Three sites, South silent in March 2025; committed for the live server, removed afterwards."""
    with Session(engine) as session, session.begin():
        company = Company(slug="triad-browser", name="Triad Browser Mining", ticker="TRBM")
        session.add(company)
        session.flush()
        sites = [
            Site(company_id=company.id, slug=s, name=s.title(), energized_on=dt.date(2020, 1, 1))
            for s in ("north", "south", "west")
        ]
        session.add_all(sites)
        session.flush()
        for month, silent in ((1, None), (2, None), (3, "south")):
            for site in sites:
                if site.slug == silent:
                    continue
                session.add(
                    SiteMonth(
                        site_id=site.id,
                        period=dt.date(2025, month, 1),
                        status=RecordStatus.published,
                        hashrate_avg_ehs=Decimal("5"),
                        hashrate_end_ehs=Decimal("5"),
                        btc_mined=Decimal("10"),
                    )
                )
        bump_data_revision(session=session, companies=[company.id])
    yield "/companies/triad-browser"
    with Session(engine) as session, session.begin():
        company_id = session.scalar(select(Company.id).where(Company.slug == "triad-browser"))
        site_ids = select(Site.id).where(Site.company_id == company_id)
        session.execute(delete(SiteMonth).where(SiteMonth.site_id.in_(site_ids)))
        session.execute(delete(Site).where(Site.company_id == company_id))
        session.execute(delete(PageSnapshot).where(PageSnapshot.key.contains("triad-browser")))
        session.execute(delete(Company).where(Company.id == company_id))
        bump_data_revision(session=session)


def test_a_partial_month_says_which_sites_it_covers(open_page, triad: str, tmp_path: Path) -> None:
    page, problems = open_page(triad)
    card = page.locator('.kpi[data-metric="hashrate_avg_ehs"]')
    assert "2 of 3 sites (South not reported)" in card.inner_text()
    mom = card.locator("abbr.kpi-mom")
    assert mom.inner_text() == "n/a"
    assert mom.get_attribute("title") == "not comparable: March 2025 covers 2 of 3 sites"
    # The table under the hashrate chart: the March row carries the mark, the missing site on hover.
    page.locator("#chart-hashrate").locator("xpath=..").locator("summary").click()
    mark = page.locator("#chart-hashrate ~ details .flag-part").first
    assert mark.inner_text() == "2 of 3 sites"
    assert mark.get_attribute("title") == "Partial: 2 of 3 sites (South not reported)"
    page.screenshot(path=str(tmp_path / "partial.png"), full_page=True)
    assert problems.all() == []
