"""The first JSON endpoints: companies and a company's months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from tests.factories import make_company, make_company_month, make_site, make_site_month


def test_list_companies(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="acme", name="Acme Mining", ticker="ACME")
    body = client.get("/api/v1/companies").json()
    assert {"slug": "acme", "name": "Acme Mining", "ticker": "ACME", "fiscal_year_end_month": 12} in body["data"]


def test_cleanspark_january_2025(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    response = client.get("/api/v1/companies/cleanspark/monthly", params={"from": "2025-01", "to": "2025-02"})
    assert response.status_code == 200
    body = response.json()
    assert [m["period"] for m in body["data"]] == ["2025-01", "2025-02"]
    jan, feb = body["data"]
    assert jan["btc_mined"] == 626 and jan["btc_held_end"] == 10556
    # February 2025 was never published: every figure is null, none is zero.
    assert feb["btc_mined"] is None and feb["btc_held_end"] is None
    assert body["units"]["btc_mined"] == "BTC"


def test_exact_decimals_and_derived_metrics(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="exact")
    site = make_site(db_session, company)
    make_company_month(
        db_session,
        company,
        period=dt.date(2025, 5, 1),
        btc_mined_total=Decimal("694"),
        btc_held_end=Decimal("12502"),
        btc_sold=Decimal("293.5"),
        btc_sold_proceeds_usd=Decimal("30000000"),
    )
    make_company_month(db_session, company, period=dt.date(2025, 4, 1), btc_held_end=Decimal("12101.5"))
    make_site_month(
        db_session,
        site,
        period=dt.date(2025, 5, 1),
        btc_mined=Decimal("600.12345678"),
        hashrate_avg_ehs=Decimal("42.5"),
    )
    body = client.get("/api/v1/companies/exact/monthly", params={"from": "2025-05", "to": "2025-05"}).json()
    may = body["data"][0]
    assert may["btc_mined"] == 694  # the published total, not the site sum
    assert may["unallocated_btc"] == 93.87654322
    assert may["treasury_residual_btc"] == 0  # 12101.5 + 694 - 293.5 = 12502
    assert round(may["btc_per_ehs_day"], 6) == round(694 / 42.5 / 31, 6)
    assert may["avg_sale_price_usd"] == round(30000000 / 293.5, 10)


def test_only_published_figures(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="drafty")
    make_company_month(db_session, company, period=dt.date(2025, 1, 1), status="draft")
    make_company_month(db_session, company, period=dt.date(2025, 2, 1), btc_mined_total=Decimal(1))
    body = client.get("/api/v1/companies/drafty/monthly", params={"from": "2025-01", "to": "2025-02"}).json()
    assert [m["btc_mined"] for m in body["data"]] == [None, 1]


def test_default_range_is_all_published_months(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="ranged")
    make_company_month(db_session, company, period=dt.date(2024, 11, 1))
    make_company_month(db_session, company, period=dt.date(2025, 2, 1))
    body = client.get("/api/v1/companies/ranged/monthly").json()
    assert [m["period"] for m in body["data"]] == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_bad_month_is_a_clear_400(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="bad")
    for params in ({"from": "2025-13"}, {"from": "January"}, {"from": "2025-03", "to": "2025-01"}):
        response = client.get("/api/v1/companies/bad/monthly", params=params)
        assert response.status_code == 400, params
        assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_company_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/companies/nope/monthly")
    assert response.status_code == 404
    assert response.json()["status"] == 404
