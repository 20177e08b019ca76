"""The network's month rows kept by their stamps (app.store.queries.network_rows)."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.store import queries
from app.store.queries.network_rows import network_months
from tests.factories import make_company, make_company_month, make_network_month, make_site, make_site_month

Row = namedtuple("Row", "period hashrate")
JAN, FEB, MAR = (dt.date(2024, m, 1) for m in (1, 2, 3))


def test_rows_are_read_again_only_when_a_months_stamp_moved() -> None:
    stored = {JAN: Row(JAN, 1), MAR: Row(MAR, 3)}  # February has no row
    reads: list[tuple[dt.date, dt.date]] = []

    def read(first: dt.date, last: dt.date) -> list[Any]:
        reads.append((first, last))
        return [row for period, row in sorted(stored.items()) if first <= period <= last]

    stamps = {JAN: 10, MAR: 30}
    assert network_months(JAN, MAR, stamps, read) == [Row(JAN, 1), Row(MAR, 3)]
    assert network_months(JAN, MAR, stamps, read) == [Row(JAN, 1), Row(MAR, 3)]
    assert network_months(FEB, MAR, stamps, read) == [Row(MAR, 3)]
    assert reads == [(JAN, MAR)]
    # March rewritten: its stamp moved, and the span is read again.
    stored[MAR] = Row(MAR, 4)
    stamps = {JAN: 10, MAR: 31}
    assert network_months(JAN, MAR, stamps, read) == [Row(JAN, 1), Row(MAR, 4)]
    # February's first row: a month without a stamp (None) gets one on its first write.
    stored[FEB] = Row(FEB, 2)
    assert network_months(FEB, FEB, {**stamps, FEB: 20}, read) == [Row(FEB, 2)]
    assert reads == [(JAN, MAR), (JAN, MAR), (FEB, FEB)]


def test_a_company_correction_reads_no_network_row_and_a_network_change_shows(
    client: TestClient, db_session: Session, count_queries
) -> None:
    company = make_company(db_session, slug="netco")
    site = make_site(db_session, company, slug="only")
    for period in (JAN, FEB, MAR):
        make_network_month(db_session, period=period, network_hashrate_avg_ehs=Decimal(500))
        make_company_month(db_session, company, period=period, btc_held_end=Decimal(100))
        make_site_month(db_session, site, period=period, hashrate_avg_ehs=Decimal(5))
    db_session.commit()
    path = "/api/v1/companies/netco/monthly?from=2024-01&to=2024-03"
    assert client.get(path).json()["data"][2]["share_of_network_pct"] == 1
    db_session.execute(text("UPDATE company_month SET btc_held_end = 101 WHERE period = '2024-03-01'"))
    queries.bump_data_revision(session=db_session, companies=[company.id])
    db_session.commit()
    count_queries.statements.clear()
    assert client.get(path).json()["data"][2]["btc_held_end"] == 101
    assert not [s for s in count_queries.statements if "FROM network_month" in s]
    db_session.execute(text("UPDATE network_month SET network_hashrate_avg_ehs = 250 WHERE period = '2024-03-01'"))
    queries.bump_data_revision(session=db_session)
    db_session.commit()
    assert client.get(path).json()["data"][2]["share_of_network_pct"] == 2
