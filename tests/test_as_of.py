"""As of a date: the company's figures exactly as they were published at a moment, on the API and the page."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.store.models import Company, CompanyMonth, FigureRevision, SiteMonth
from app.store.queries.month_release import publish_month
from app.store.queries.months import get_company_month, save_company_month, save_site_month
from tests.factories import make_company, make_site

EDITOR = Actor.user(11, "ed.itor@example.com", "editor")
JAN, FEB = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
JAN_OUT = dt.datetime(2025, 2, 3, 13, 0, tzinfo=dt.UTC)
FEB_OUT = dt.datetime(2025, 3, 4, 13, 0, tzinfo=dt.UTC)


def _published_on(session: Session, period: dt.date, moment: dt.datetime) -> None:
    """Date a month's release in the past, as if it had gone out then (the test runs later)."""
    session.execute(update(FigureRevision).where(FigureRevision.period == period).values(published_at=moment))
    for model in (CompanyMonth, SiteMonth):
        session.execute(update(model).where(model.period == period).values(published_at=moment))


def _release(session: Session, company: Company, period: dt.date, held: str, moment: dt.datetime) -> None:
    data = CompanyMonthCreate(btc_mined_total="650", btc_held_end=held, source_url="https://ir.example.com/r")
    save_company_month(
        session=session, company=company, period=period, data=data, actor=EDITOR, expected_version=None, publish=True
    )
    _published_on(session, period, moment)


def _history(session: Session) -> Company:
    """January out on 3 Feb 2025 (held 10,000), February on 4 Mar 2025, January corrected today (10,050)."""
    company = make_company(db_session := session, slug="asof")
    _release(db_session, company, JAN, "10000", JAN_OUT)
    _release(db_session, company, FEB, "10600", FEB_OUT)
    row = get_company_month(company, JAN, session=session)
    assert row is not None
    save_company_month(
        session=session,
        company=company,
        period=JAN,
        data=CompanyMonthCreate(btc_mined_total="650", btc_held_end="10050", source_url="https://ir.example.com/r"),
        actor=EDITOR,
        expected_version=row.version,
        reason="Restated",
    )
    return company


def _held(client: TestClient, query: str) -> dict[str, Decimal | None]:
    response = client.get(f"/api/v1/companies/asof/monthly?metrics=btc_held_end{query}")
    assert response.status_code == 200, response.text
    body = json.loads(response.content, parse_float=Decimal)
    return {row["period"]: row["btc_held_end"] for row in body["data"]}


def test_as_of_before_a_correction_gives_the_old_value(client: TestClient, db_session: Session) -> None:
    _history(db_session)
    assert _held(client, "") == {"2025-01": 10050, "2025-02": 10600}
    assert _held(client, "&as_of=2025-03-10") == {"2025-01": 10000, "2025-02": 10600}
    # Today's answer again: the as-of answer was not cached in its place.
    assert _held(client, "") == {"2025-01": 10050, "2025-02": 10600}
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)  # whole seconds: past the correction's moment
    assert _held(client, f"&as_of={soon:%Y-%m-%dT%H:%M:%S}Z") == {"2025-01": 10050, "2025-02": 10600}


def test_as_of_before_a_months_publication_leaves_it_out(client: TestClient, db_session: Session) -> None:
    _history(db_session)
    assert _held(client, "&as_of=2025-02-10") == {"2025-01": 10000}
    # A moment that day, before February's release went out at 13:00 UTC.
    assert _held(client, "&as_of=2025-03-04T12:59:00Z") == {"2025-01": 10000}
    assert _held(client, "&as_of=2025-01-15") == {}
    provenance = client.get("/api/v1/companies/asof/monthly?as_of=2025-02-10&provenance=true").json()
    assert provenance["as_of"].startswith("2025-02-10T23:59:59")
    assert provenance["data"][0]["sources"]["btc_held_end"]["revised"] is False


def test_as_of_in_csv(client: TestClient, db_session: Session) -> None:
    _history(db_session)
    text = client.get("/api/v1/companies/asof/monthly?metrics=btc_held_end&format=csv&as_of=2025-02-10").text
    lines = text.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("2025-01,asof,10000")


def test_a_bad_as_of_is_a_clear_400(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="asof")
    for bad in ("yesterday", "2025-02-30", "2025-2-3"):
        response = client.get(f"/api/v1/companies/asof/monthly?as_of={bad}")
        assert response.status_code == 400, bad
        assert response.json()["detail"].startswith("as_of: expected an ISO date like 2025-02-03"), bad
        assert bad in response.json()["detail"]
    page = client.get("/companies/asof?as_of=yesterday")
    assert page.status_code == 400 and "as_of: expected an ISO date like 2025-02-03" in page.text


def test_the_page_as_of_a_date_has_a_banner_and_the_old_figures(client: TestClient, db_session: Session) -> None:
    _history(db_session)
    current = client.get("/companies/asof")
    assert current.status_code == 200 and "Figures as published on" not in current.text
    page = client.get("/companies/asof?as_of=2025-02-10")
    assert page.status_code == 200
    assert "Figures as published on" in page.text and "10 Feb 2025" in page.text
    assert 'href="/companies/asof">See the current figures' in page.text
    assert 'data-value="10000' in page.text and 'data-value="10050' not in page.text
    assert 'data-value="10600' not in page.text  # February was not out yet
    # The default page is still today's afterwards (the stored page was not replaced by the as-of one).
    again = client.get("/companies/asof")
    assert "Figures as published on" not in again.text and 'data-value="10050' in again.text


def test_as_of_with_site_figures_for_some_months(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="asof")
    north, south = make_site(db_session, company, slug="north"), make_site(db_session, company, slug="south")
    for site, mined in ((north, "30"), (south, "12")):
        save_site_month(
            session=db_session,
            site=site,
            period=JAN,
            data=SiteMonthCreate(btc_mined=mined),
            actor=EDITOR,
            expected_version=None,
        )
    publish_month(session=db_session, company=company, period=JAN, actor=EDITOR)
    _published_on(db_session, JAN, JAN_OUT)
    _release(db_session, company, FEB, "500", FEB_OUT)  # February: company figures only, no site split

    body = client.get("/api/v1/companies/asof/monthly?metrics=btc_mined,btc_held_end&as_of=2025-03-10").json()
    rows = {r["period"]: r for r in body["data"]}
    assert rows["2025-01"]["btc_mined"] == 42 and rows["2025-01"]["btc_held_end"] is None
    assert rows["2025-02"]["btc_mined"] == 650 and rows["2025-02"]["btc_held_end"] == 500
    only_jan = client.get("/api/v1/companies/asof/monthly?metrics=btc_mined&as_of=2025-02-10").json()
    assert [(r["period"], r["btc_mined"]) for r in only_jan["data"]] == [("2025-01", 42)]
    page = client.get("/companies/asof?as_of=2025-02-10")
    assert page.status_code == 200 and "Figures as published on" in page.text


def test_as_of_a_months_coverage_counts_a_site_from_its_first_report_before_the_range(db_session: Session) -> None:
    """North (no recorded energized month) reported June 2023 and March 2025: January 2025 misses it, also when
    only January to March is read as of now."""
    from app.store.queries.figure_as_of import load_company_series_as_of

    company = make_company(db_session, slug="asof-gap")
    north, east = make_site(db_session, company, slug="north"), make_site(db_session, company, slug="east")
    published = [(north, dt.date(2023, 6, 1)), (north, dt.date(2025, 3, 1)), (east, JAN), (east, FEB)]
    for site, period in published:
        save_site_month(
            session=db_session,
            site=site,
            period=period,
            data=SiteMonthCreate(hashrate_avg_ehs=Decimal("5"), source_url="https://ir.example.com/r"),
            actor=EDITOR,
            expected_version=None,
            publish=True,
        )
    now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    _, views = load_company_series_as_of(company, session=db_session, as_of=now, start=JAN, end=dt.date(2025, 3, 1))
    january = views[0].coverage["hashrate_avg_ehs"]
    assert (january.sites_reported, sorted(january.sites_active)) == (("east",), ["east", "north"])
