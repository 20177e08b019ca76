"""Constraints live in the database, not only in Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.models import CompanyMonth, SiteMonth
from tests.factories import make_company, make_company_month, make_site, make_site_month


def test_one_row_per_site_and_month(db_session: Session) -> None:
    site = make_site(db_session)
    make_site_month(db_session, site, period=dt.date(2025, 1, 1))
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_site_month(db_session, site, period=dt.date(2025, 1, 1))


def test_one_row_per_company_and_month(db_session: Session) -> None:
    company = make_company(db_session)
    make_company_month(db_session, company)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_company_month(db_session, company)


@pytest.mark.parametrize(
    "field, value",
    [
        ("btc_mined", Decimal("-0.1")),
        ("hashrate_avg_ehs", Decimal("-1")),
        ("fleet_efficiency_jth", Decimal("2")),
        ("fleet_efficiency_jth", Decimal("500")),
        ("uptime_pct", Decimal("101")),
        ("miners_deployed", -5),
    ],
)
def test_site_month_rejects_impossible_values(db_session: Session, field: str, value: object) -> None:
    site = make_site(db_session)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_site_month(db_session, site, **{field: value})


def test_company_month_rejects_negative_treasury(db_session: Session) -> None:
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_company_month(db_session, btc_held_end=Decimal("-1"))


def test_status_is_draft_or_published_in_the_database(db_session: Session) -> None:
    company = make_company(db_session)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        # Raw SQL: the check must hold for writers that bypass the ORM too.
        db_session.execute(
            text("INSERT INTO company_month (company_id, period, status) VALUES (:c, :p, 'archived')"),
            {"c": company.id, "p": dt.date(2025, 1, 1)},
        )


def test_btc_is_exact_to_the_satoshi(db_session: Session) -> None:
    row = make_company_month(db_session, btc_sold=Decimal("578.51000001"), btc_held_end=Decimal("12608.12345678"))
    db_session.expire_all()
    stored = db_session.scalar(select(CompanyMonth).where(CompanyMonth.id == row.id))
    assert stored is not None
    assert stored.btc_sold == Decimal("578.51000001")
    assert stored.btc_held_end == Decimal("12608.12345678")


def test_period_is_a_date_not_a_timestamp(db_session: Session) -> None:
    row = make_site_month(db_session, period=dt.date(2024, 12, 1))
    db_session.expire_all()
    stored = db_session.get(SiteMonth, row.id)
    assert stored is not None
    assert type(stored.period) is dt.date
    assert stored.period == dt.date(2024, 12, 1)
