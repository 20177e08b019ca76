"""Quarters and fiscal years: flows summed, stocks at quarter end, averages by days, incomplete quarters marked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.domain.metrics import METRICS
from app.domain.quarters import build_quarters, quarter_of
from app.domain.reports import MonthView
from tests.factories import make_company, make_company_month


def _view(period: dt.date, **values: Decimal) -> MonthView:
    base: dict[str, Decimal | None] = dict.fromkeys(METRICS)
    base.update(values)
    return MonthView(period=period, values=base)


def test_fiscal_quarters_follow_the_year_end() -> None:
    # CleanSpark's year ends in September: October 2024 opens FY2025.
    assert quarter_of(dt.date(2024, 10, 1), 9) == (2025, 1, dt.date(2024, 10, 1))
    assert quarter_of(dt.date(2025, 2, 1), 9) == (2025, 2, dt.date(2025, 1, 1))
    assert quarter_of(dt.date(2025, 9, 1), 9) == (2025, 4, dt.date(2025, 7, 1))
    # IREN (June) and HIVE (March), as their releases name them.
    assert quarter_of(dt.date(2024, 11, 1), 6)[:2] == (2025, 2)
    assert quarter_of(dt.date(2023, 12, 1), 3)[:2] == (2024, 3)
    # Calendar quarters whatever the fiscal year.
    assert quarter_of(dt.date(2025, 2, 1), 9, "calendar") == (2025, 1, dt.date(2025, 1, 1))
    assert quarter_of(dt.date(2025, 12, 1), 12) == (2025, 4, dt.date(2025, 10, 1))


def test_flows_stocks_and_day_weighted_averages() -> None:
    views = [
        _view(dt.date(2025, 1, 1), btc_mined=Decimal(310), btc_held_end=Decimal(100), hashrate_avg_ehs=Decimal(10)),
        _view(dt.date(2025, 2, 1), btc_mined=Decimal(280), btc_held_end=Decimal(150), hashrate_avg_ehs=Decimal(20)),
        _view(dt.date(2025, 3, 1), btc_mined=Decimal(300), btc_held_end=Decimal(200)),
    ]
    (q,) = build_quarters(views, 12)
    assert q.label == "2025 Q1" and q.complete and q.missing == []
    assert q.values["btc_mined"] == Decimal(890)
    assert q.values["btc_held_end"] == Decimal(200)
    # (10 × 31 + 20 × 28) / 59 days; March reported no average, so it is left out, and the coverage says so.
    assert q.values["hashrate_avg_ehs"] == (Decimal(310) + Decimal(560)) / 59
    assert q.coverage["hashrate_avg_ehs"] == 2 and q.coverage["btc_mined"] == 3


def test_a_missing_month_marks_the_quarter_and_a_missing_stock_stays_a_gap() -> None:
    views = [
        _view(dt.date(2025, 1, 1), btc_mined=Decimal(310), btc_held_end=Decimal(100)),
        _view(dt.date(2025, 2, 1)),  # no release
        _view(dt.date(2025, 3, 1), btc_mined=Decimal(300)),
    ]
    (q,) = build_quarters(views, 9)
    assert q.label == "FY2025 Q2" and not q.complete and q.missing == [dt.date(2025, 2, 1)]
    assert q.values["btc_mined"] == Decimal(610) and q.coverage["btc_mined"] == 2
    # Holdings at quarter end are March's: not published, so a gap (never January's 100).
    assert q.values["btc_held_end"] is None


def test_quarterly_api_fiscal_and_calendar(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="fy", fiscal_year_end_month=9)
    for month, mined in ((7, 100), (8, 110), (9, 120), (10, 130)):
        make_company_month(
            db_session, company, period=dt.date(2025, month, 1), btc_mined_total=Decimal(mined), btc_held_end=None
        )
    fiscal = client.get("/api/v1/companies/fy/quarterly").json()
    assert fiscal["basis"] == "fiscal" and fiscal["fiscal_year_end_month"] == 9
    assert [q["label"] for q in fiscal["data"]] == ["FY2025 Q4", "FY2026 Q1"]
    q4, q1 = fiscal["data"]
    assert q4["complete"] and q4["figures"]["btc_mined"] == 330 and q4["start"] == "2025-07"
    assert not q1["complete"] and q1["missing_months"] == ["2025-11", "2025-12"] and q1["months_reported"] == 1
    assert fiscal["rules"]["btc_mined"].startswith("sum")
    calendar = client.get("/api/v1/companies/fy/quarterly?basis=calendar").json()
    assert [q["label"] for q in calendar["data"]] == ["2025 Q3", "2025 Q4"]
    csv_text = client.get("/api/v1/companies/fy/quarterly?format=csv").text
    assert csv_text.splitlines()[1].startswith("FY2025 Q4,2025-07,2025-09,true,")
    assert client.get("/api/v1/companies/fy/quarterly?basis=weekly").status_code == 400


def test_cleanspark_page_shows_fiscal_quarters(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark").text
    assert "fiscal year ends in September" in page
    assert 'data-quarter="FY2025 Q1"' in page
    # FY2025 Q2 (Jan–Mar 2025): February was never published.
    assert "incomplete: 2 of 3 months" in page
    calendar = client.get("/companies/cleanspark?quarters=calendar").text
    assert 'data-quarter="2025 Q1"' in calendar and "FY2025" not in calendar
    assert client.get("/companies/cleanspark?quarters=weekly").status_code == 400
    body = client.get("/api/v1/companies/cleanspark/quarterly?from=2024-10&to=2024-12").json()
    (q,) = body["data"]
    # The October, November and December 2024 releases, summed (655 + 622 + 668).
    assert q["label"] == "FY2025 Q1" and q["complete"] and q["figures"]["btc_mined"] == 1945
