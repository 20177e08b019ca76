"""Site pages and the compare page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.store.models import SiteStatus
from tests.factories import make_company, make_company_month, make_network_month, make_site, make_site_month
from tests.web_helpers import by_month, figures, names, parse_csv, trace


def test_site_page_shows_facts_trends_and_its_months(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="acme", name="Acme")
    site = make_site(
        db_session,
        company,
        slug="rock",
        name="Rockdale",
        region="Texas, US",
        capacity_mw=Decimal("1250"),
        status=SiteStatus.under_construction,
    )
    make_site(db_session, company, slug="other", name="Other")
    make_site_month(
        db_session,
        site,
        period=dt.date(2025, 1, 1),
        btc_mined=Decimal("80.12345678"),
        hashrate_avg_ehs=Decimal("4"),
        uptime_pct=Decimal("97.5"),
    )
    make_site_month(db_session, site, period=dt.date(2025, 3, 1), btc_mined=Decimal("90"))
    make_network_month(db_session, network_hashrate_avg_ehs=Decimal("800"))
    response = client.get("/companies/acme/sites/rock")
    assert response.status_code == 200
    page = response.text
    for text in ("Rockdale", "Texas, US", "1,250 MW", "Under construction", "Uptime"):
        assert text in page
    figs = figures(page)
    assert set(figs) == {"hashrate", "btc_mined", "efficiency", "yield", "share"}
    assert by_month(trace(figs["btc_mined"], "BTC mined")) == {
        "2025-01-01": 80.12345678,
        "2025-02-01": None,
        "2025-03-01": 90.0,
    }
    assert by_month(trace(figs["share"], "Site"))["2025-01-01"] == 0.5
    assert 'data-value="80.12345678"' in page  # the month table carries the exact figure
    rows = parse_csv(client.get("/companies/acme/sites/rock/charts/btc_mined.csv").text)
    assert [r["BTC mined (BTC)"] for r in rows] == ["80.12345678", "", "90"]


def test_site_page_of_the_demo_is_labelled_illustrative(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark/sites/tennessee").text
    assert "Illustrative figures" in page
    btc = figures(page)["btc_mined"]
    # Tennessee starts in October 2024: the page starts there, not with the company's first month.
    assert trace(btc, "BTC mined (illustrative)")["x"][0] == "2024-10-01"
    assert "/companies/cleanspark/sites/tennessee" in client.get("/companies/cleanspark").text


def test_site_without_figures_and_unknown_site(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="bare")
    make_site(db_session, company, slug="idle", name="Idle")
    make_company_month(db_session, company)
    page = client.get("/companies/bare/sites/idle")
    assert page.status_code == 200 and "No figures published for Idle" in page.text
    assert client.get("/companies/bare/sites/nope").status_code == 404


def test_compare_with_one_company_says_what_it_needs(client: TestClient, db_session: Session) -> None:
    make_company_month(db_session, make_company(db_session, slug="solo", name="Solo"))
    response = client.get("/compare")
    assert response.status_code == 200
    assert "Comparing needs at least two companies" in response.text
    assert names(figures(response.text)["compare"]) == ["Solo"]


def test_compare_defaults_to_btc_mined_of_every_company_over_24_months(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    response = client.get("/compare")
    assert "Comparing needs" not in response.text
    fig = figures(response.text)["compare"]
    x = trace(fig, "CleanSpark")["x"]
    # The latest month any company published (January 2026) and the 23 before it.
    assert (x[0], x[-1], len(x)) == ("2024-02-01", "2026-01-01", 24)
    assert "MARA Holdings" in names(fig) and "IREN" in names(fig)
    assert by_month(trace(fig, "MARA Holdings"))["2025-09-01"] == 736
    csv_rows = parse_csv(client.get("/compare.csv").text)
    assert len(csv_rows) == 24 and "MARA Holdings (BTC)" in csv_rows[0]
    assert "btc_mined:mara" in parse_csv(client.get("/compare.csv?header=names").text)[0]
    everything = figures(client.get("/compare?range=all").text)["compare"]
    assert trace(everything, "IREN")["x"][0] == "2021-12-01"


def test_compare_normalised_per_ehs_and_indexed(client: TestClient, db_session: Session) -> None:
    a = make_company(db_session, slug="alpha", name="Alpha")
    for month, mined, hashrate in ((1, "310", "20"), (2, "280", None), (3, "341", "22")):
        make_company_month(
            db_session,
            a,
            period=dt.date(2025, month, 1),
            btc_mined_total=Decimal(mined),
            hashrate_avg_ehs=Decimal(hashrate) if hashrate else None,
        )
    per_ehs = figures(client.get("/compare?normalise=per_ehs&range=all").text)["compare"]
    # 310 / 20, a gap where no average hashrate was reported, 341 / 22.
    assert by_month(trace(per_ehs, "Alpha")) == {"2025-01-01": 15.5, "2025-02-01": None, "2025-03-01": 15.5}
    assert trace(per_ehs, "Alpha")["meta"]["unit"] == "BTC per EH/s"
    indexed = figures(client.get("/compare?normalise=index&range=all").text)["compare"]
    assert by_month(trace(indexed, "Alpha")) == {
        "2025-01-01": 100.0,
        "2025-02-01": float(Decimal(280) / 310 * 100),
        "2025-03-01": 110.0,
    }
    rows = parse_csv(client.get("/compare.csv?normalise=index&range=all&header=units").text)
    assert rows[2]["btc_mined:alpha (index)"] == "110"
    assert client.get("/compare?normalise=per_ehs&metric=fleet_efficiency_jth").status_code == 400
    assert client.get("/compare?normalise=sideways").status_code == 400


def test_compare_two_companies_on_a_normalised_metric(client: TestClient, db_session: Session) -> None:
    a = make_company(db_session, slug="alpha", name="Alpha")
    b = make_company(db_session, slug="beta", name="Beta")
    make_company_month(
        db_session,
        a,
        period=dt.date(2025, 1, 1),
        btc_mined_total=Decimal("310"),
        hashrate_avg_ehs=Decimal("20"),
        fleet_efficiency_jth=Decimal("17.5"),
    )
    make_company_month(
        db_session,
        b,
        period=dt.date(2025, 2, 1),
        btc_mined_total=Decimal("280"),
        hashrate_avg_ehs=Decimal("10"),
        fleet_efficiency_jth=Decimal("21"),
    )
    page = client.get("/compare?metric=btc_per_ehs_day&range=all").text
    assert "Comparing needs" not in page
    fig = figures(page)["compare"]
    assert names(fig) == ["Alpha", "Beta"]
    assert by_month(trace(fig, "Alpha")) == {"2025-01-01": 0.5, "2025-02-01": None}
    assert by_month(trace(fig, "Beta")) == {"2025-01-01": None, "2025-02-01": 1.0}
    eff = figures(client.get("/compare?metric=fleet_efficiency_jth&company=beta").text)["compare"]
    assert names(eff) == ["Beta"]
    rows = parse_csv(client.get("/compare.csv?metric=fleet_efficiency_jth&range=all&header=names").text)
    assert rows[0]["fleet_efficiency_jth:alpha"] == "17.5"
    assert rows[0]["fleet_efficiency_jth:alpha__estimate"] == "false"
    assert rows[1]["fleet_efficiency_jth:beta"] == "21"
    assert client.get("/compare?metric=nonsense").status_code == 400
    assert client.get("/compare?company=nobody").status_code == 400
    # The CSV is read by scripts: its errors are problem documents, not pages.
    for url, path in (
        ("/compare.csv?metric=nonsense", "query.metric"),
        ("/compare.csv?company=nobody", "query.company"),
    ):
        response = client.get(url)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["path"] == path


def test_compare_says_which_company_lacks_the_metric(client: TestClient, db_session: Session) -> None:
    a = make_company(db_session, slug="has", name="Has Hashrate")
    b = make_company(db_session, slug="lacks", name="Lacks Hashrate")
    make_company_month(db_session, a, hashrate_avg_ehs=Decimal("10"))
    make_company_month(db_session, b)
    page = client.get("/compare?metric=btc_per_ehs_day").text
    assert names(figures(page)["compare"]) == ["Has Hashrate"]
    assert "figures in these months for Lacks Hashrate" in page
