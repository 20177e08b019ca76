"""A company's sites and events kept between builds by their structure stamps (app.store.queries.structure)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app.store import queries
from app.store.models import Company, Site
from app.store.queries.month_stamps import read_stamps
from app.store.queries.structure import company_structure
from tests.factories import make_company, make_company_month, make_event, make_site, make_site_month

MONTHS = [dt.date(2024, m, 1) for m in range(1, 7)]


@pytest.fixture
def company(db_session: Session) -> Company:
    company = make_company(db_session, slug="kept", name="Kept Mining")
    sites = [make_site(db_session, company, slug=slug, name=slug.title()) for slug in ("north", "south")]
    for period in MONTHS:
        make_company_month(db_session, company, period=period, btc_held_end=Decimal(100))
        for site in sites:
            make_site_month(db_session, site, period=period, btc_mined=Decimal(10))
    make_event(db_session, company_id=company.id, date=MONTHS[2], title="Storm at North", kind="weather")
    make_event(db_session)  # the halving, of every company
    db_session.commit()
    return company


def _correct(db_session: Session, company: Company) -> None:
    """A published correction of one figure, as far as the pages can tell."""
    db_session.execute(
        text("UPDATE company_month SET btc_held_end = btc_held_end + 1 WHERE company_id = :id AND period = :p"),
        {"id": company.id, "p": MONTHS[-1]},
    )
    queries.bump_data_revision(session=db_session, companies=[company.id])
    db_session.commit()


def _reads_of(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if f"FROM {table} " in s or s.endswith(f"FROM {table}")]


@pytest.mark.parametrize(
    "path",
    [
        "/companies/kept?from=2024-01&to=2024-06",
        "/companies/kept/sites/north",
        "/companies/kept/charts/btc_mined.csv?range=all",
    ],
)
def test_a_build_after_a_correction_reads_neither_sites_nor_events(
    path: str, client: TestClient, db_session: Session, company: Company, count_queries
) -> None:
    assert client.get(path).status_code == 200
    _correct(db_session, company)
    count_queries.statements.clear()
    page = client.get(path)
    assert page.status_code == 200
    # Built again (its stamps read), without the lists that did not change.
    assert _reads_of(count_queries.statements, "month_stamp")
    assert _reads_of(count_queries.statements, "site") == []
    assert _reads_of(count_queries.statements, "event") == []


def test_a_site_renamed_or_added_shows_on_the_next_build(
    client: TestClient, db_session: Session, company: Company
) -> None:
    assert "North" in client.get("/companies/kept?range=all").text
    # Behind the app's back, as a console would: the trigger moves the stamp, nothing else has to.
    db_session.execute(text("UPDATE site SET name = 'Far North' WHERE slug = 'north'"))
    queries.bump_data_revision(session=db_session, companies=[company.id])
    db_session.commit()
    page = client.get("/companies/kept?range=all")
    assert "Far North" in page.text
    make_site(db_session, company, slug="east", name="Eastern Plains")
    queries.bump_data_revision(session=db_session, companies=[company.id])
    db_session.commit()
    assert "Eastern Plains" in client.get("/companies/kept?range=all").text
    assert client.get("/companies/kept/sites/east").status_code == 200


def test_an_event_of_every_company_shows_on_every_company_page(
    client: TestClient, db_session: Session, company: Company
) -> None:
    other = make_company(db_session, slug="other")
    make_site_month(db_session, make_site(db_session, other, slug="only"), period=MONTHS[0])
    db_session.commit()
    for slug in ("kept", "other"):
        assert "Difficulty record" not in client.get(f"/companies/{slug}?range=all").text
    make_event(db_session, date=dt.date(2024, 1, 15), title="Difficulty record", kind="other")
    queries.bump_data_revision(session=db_session)
    db_session.commit()
    for slug in ("kept", "other"):
        assert "Difficulty record" in client.get(f"/companies/{slug}?range=all").text


def test_the_kept_sites_and_events_belong_to_no_session(db_session: Session, company: Company) -> None:
    """A session expires what it loaded when it rolls back; what every thread reads must not be its."""
    structure = company_structure(company.id, read_stamps(company.id, session=db_session), session=db_session)
    assert [s.slug for s in structure.sites] == ["north", "south"]
    assert [e.title for e in structure.events] == ["Storm at North", "Halving"]
    for row in (*structure.sites, *structure.events):
        assert inspect(row).session is None
    db_session.rollback()
    assert structure.sites[0].name == "North"
    # Kept: the same objects while nothing moved the stamps.
    again = company_structure(company.id, read_stamps(company.id, session=db_session), session=db_session)
    assert again is structure
    site = db_session.get(Site, structure.sites[0].id)
    assert site is not None and site is not structure.sites[0]
