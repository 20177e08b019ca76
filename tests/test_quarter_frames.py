"""A quarter's frame: one metric of every company in a calendar quarter, with how complete each quarter is."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_company, make_company_month


def _month(session: Session, company, month: int, **values: object) -> None:
    make_company_month(session, company, period=dt.date(2025, month, 1), **values)


def test_a_quarter_frame_sums_flows_keeps_stocks_and_says_what_is_missing(
    client: TestClient, db_session: Session
) -> None:
    alpha = make_company(db_session, slug="alpha")
    beta = make_company(db_session, slug="beta")
    make_company(db_session, slug="gamma")  # nothing published: a null, not a zero
    for month, mined, held in ((1, "100", "1000"), (2, "110.5", "1100"), (3, "120", "1200")):
        _month(db_session, alpha, month, btc_mined_total=Decimal(mined), btc_held_end=Decimal(held))
    _month(db_session, beta, 1, btc_mined_total=Decimal("50"), btc_held_end=Decimal("500"))
    _month(db_session, beta, 3, btc_mined_total=Decimal("70"), btc_held_end=Decimal("520"))

    body = json.loads(client.get("/api/v1/frames/btc_mined/quarters/2025-Q1").text, parse_float=Decimal)
    assert (body["quarter"], body["from"], body["to"], body["unit"]) == ("2025-Q1", "2025-01", "2025-03", "BTC")
    rows = {r["company"]: r for r in body["data"]}
    assert [r["company"] for r in body["data"]] == sorted(rows)
    assert rows["alpha"]["value"] == Decimal("330.5") and rows["alpha"]["complete"] is True
    assert rows["beta"]["months_reported"] == 2 and rows["beta"]["complete"] is False
    assert rows["gamma"]["value"] is None and rows["gamma"]["months_reported"] == 0

    held = json.loads(client.get("/api/v1/frames/btc_held_end/quarters/2025-Q1").text, parse_float=Decimal)
    assert {r["company"]: r["value"] for r in held["data"]}["alpha"] == Decimal("1200")  # the quarter's end

    table = list(csv.DictReader(io.StringIO(client.get("/api/v1/frames/btc_mined/quarters/2025-Q1?format=csv").text)))
    assert [r["company"] for r in table] == ["alpha", "beta", "gamma"]
    assert table[0]["value"] == "330.5" and table[2]["value"] == ""


def test_a_quarter_frame_refuses_what_it_cannot_answer(client: TestClient) -> None:
    no_quarters = client.get("/api/v1/frames/note/quarters/2025-Q1")
    assert no_quarters.status_code == 404 and "no quarterly form" in no_quarters.json()["detail"]
    assert client.get("/api/v1/frames/btc_mined/quarters/2025-Q5").status_code in (400, 422)
