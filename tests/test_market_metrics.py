"""Market metrics against hand-computed values from the shared data (January 2025), and gaps that stay gaps."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.domain import derived
from app.domain.figure_sources import FigureSource
from app.domain.metrics import METRICS
from app.domain.month_views import sources_of
from app.domain.reports import MonthView
from tests.factories import make_company, make_company_month, make_network_month

JAN = dt.date(2025, 1, 1)
# January 2025 in data/network_monthly.csv (Coin Metrics and Yahoo Finance, see data/README.md).
SUBSIDY, FEES = Decimal("13856.25"), Decimal("203.87409655")
NETWORK_EHS = Decimal("780.84")
PRICE_AVG, PRICE_CLOSE = Decimal("99992.85"), Decimal("102405.02")
# CleanSpark's January 2025 release: 626 BTC mined, 10,556 BTC held.
MINED, HELD = Decimal(626), Decimal(10556)


def _close(value: object, expected: str, places: int = 6) -> None:
    assert value is not None
    assert round(Decimal(str(value)), places) == round(Decimal(expected), places), (value, expected)


def test_january_2025_by_hand() -> None:
    # (13,856.25 + 203.87409655) BTC / 31 days / 780,840 PH/s × $99,992.85 = $58.0810 per PH/s per day
    _close(derived.hashprice(SUBSIDY, FEES, NETWORK_EHS, PRICE_AVG, JAN), "58.08103596", 6)
    # 626 / 14,060.12409655 × 780.84 EH/s = 34.7654 EH/s
    _close(derived.realized_hashrate(MINED, SUBSIDY, FEES, NETWORK_EHS), "34.76540012", 6)
    # 10,556 × $102,405.02 and 626 × $99,992.85, exactly
    assert derived.product(HELD, PRICE_CLOSE) == Decimal("1080987391.12")
    assert derived.product(MINED, PRICE_AVG) == Decimal("62595524.10")


def test_the_shared_file_hashprice_column_agrees_with_the_formula() -> None:
    import csv

    with (demo.DATA_DIR / "network_monthly.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["hashprice_usd_per_ph_day"]]
    assert len(rows) == 73
    for row in rows:
        year, month = map(int, row["period"].split("-"))
        ours = derived.hashprice(
            Decimal(row["subsidy_btc"]),
            Decimal(row["fees_btc"]),
            Decimal(row["hashrate_avg_ehs"]),
            Decimal(row["btc_usd_avg"]),
            dt.date(year, month, 1),
        )
        # The file's column was computed before its hashrate was rounded to 0.01 EH/s: agree to 1 in 10,000.
        published = Decimal(row["hashprice_usd_per_ph_day"])
        assert ours is not None and abs(ours - published) <= published * Decimal("0.0001"), row


def _values(**given: Decimal | int | None) -> dict[str, Decimal | None]:
    values: dict[str, Decimal | None] = dict.fromkeys(METRICS)
    values.update(given)  # type: ignore[arg-type]
    return values


def test_derive_fills_every_market_metric_and_the_realized_share() -> None:
    values = _values(
        btc_mined=MINED,
        btc_held_end=HELD,
        network_subsidy_btc=SUBSIDY,
        network_fees_btc=FEES,
        network_hashrate_avg_ehs=NETWORK_EHS,
        btc_price_avg_usd=PRICE_AVG,
        btc_price_close_usd=PRICE_CLOSE,
    )
    basis = derived.derive(values, JAN)
    _close(values["realized_hashrate_ehs"], "34.76540012")
    # No average hashrate reported: the share comes from BTC mined, and says so.
    _close(values["share_of_network_pct"], "4.45230779")
    assert "realized" in basis["share_of_network_pct"]
    assert values["realization_pct"] is None
    # With a reported average, the share is the dictionary's first formula and realization exists.
    values = _values(btc_mined=MINED, hashrate_avg_ehs=Decimal(40), network_subsidy_btc=SUBSIDY)
    values.update(network_fees_btc=FEES, network_hashrate_avg_ehs=NETWORK_EHS)
    assert derived.derive(values, JAN) == {}
    _close(values["share_of_network_pct"], str(Decimal(40) / NETWORK_EHS * 100))
    _close(values["realization_pct"], "86.91350031")


def test_a_missing_price_or_network_figure_is_a_gap_never_a_zero() -> None:
    no_price = _values(btc_mined=MINED, btc_held_end=HELD, network_subsidy_btc=SUBSIDY, network_fees_btc=FEES)
    no_price["network_hashrate_avg_ehs"] = NETWORK_EHS
    derived.derive(no_price, JAN)
    assert no_price["mining_revenue_usd"] is None and no_price["treasury_value_usd"] is None
    assert no_price["hashprice_usd_per_ph_day"] is None
    assert no_price["realized_hashrate_ehs"] is not None
    # Fees unknown: issuance unknown, so no realized hashrate, no hashprice and no share from BTC mined.
    no_fees = _values(btc_mined=MINED, network_subsidy_btc=SUBSIDY, network_hashrate_avg_ehs=NETWORK_EHS)
    no_fees["btc_price_avg_usd"] = PRICE_AVG
    derived.derive(no_fees, JAN)
    assert no_fees["realized_hashrate_ehs"] is None and no_fees["share_of_network_pct"] is None
    assert no_fees["hashprice_usd_per_ph_day"] is None and no_fees["mining_revenue_usd"] is not None
    # A zero issuance is not divided by; a zero BTC mined is a real figure.
    assert derived.realized_hashrate(MINED, 0, 0, NETWORK_EHS) is None
    assert derived.realized_hashrate(0, SUBSIDY, FEES, NETWORK_EHS) == 0


def test_provenance_of_the_realized_share_names_its_route() -> None:
    source = FigureSource("https://example.test/release", False)
    view = MonthView(period=JAN, values={}, sources={"btc_mined": source, "network_fees_btc": source})
    view.basis["share_of_network_pct"] = derived.REALIZED_SHARE_BASIS
    found = sources_of(view, "share_of_network_pct")
    assert found[0] == source and found[-1].basis == derived.REALIZED_SHARE_BASIS


def test_cleanspark_january_2025_through_the_api(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    response = client.get(
        "/api/v1/companies/cleanspark/monthly?from=2025-01&to=2025-02&provenance=true",
    )
    jan, feb = json.loads(response.content, parse_float=Decimal)["data"]
    _close(jan["hashprice_usd_per_ph_day"], "58.08103596")
    assert jan["treasury_value_usd"] == Decimal("1080987391.12")
    assert jan["mining_revenue_usd"] == Decimal("62595524.1")
    _close(jan["realized_hashrate_ehs"], "34.76540012")
    _close(jan["share_of_network_pct"], "4.45230779")
    assert "realized" in jan["sources"]["share_of_network_pct"]["basis"]
    assert jan["btc_price_close_usd"] == PRICE_CLOSE
    # February 2025 was never published: the market around it is known, the company's figures are not.
    assert feb["btc_mined"] is None and feb["mining_revenue_usd"] is None and feb["share_of_network_pct"] is None
    _close(feb["hashprice_usd_per_ph_day"], "54.43076025")
    metrics = client.get("/api/v1/metrics").json()["data"]
    formulas = {m["name"]: m["formula"] for m in metrics}
    for name in ("hashprice_usd_per_ph_day", "treasury_value_usd", "mining_revenue_usd", "realized_hashrate_ehs"):
        assert formulas[name], name
    assert formulas["realization_pct"] == "realized_hashrate_ehs / hashrate_avg_ehs × 100"
    assert formulas["btc_price_close_usd"] and formulas["btc_price_avg_usd"]


def test_a_month_without_network_figures_has_no_market_metrics(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="lonely")
    make_company_month(db_session, company, period=dt.date(2025, 3, 1), btc_mined_total=Decimal(100))
    make_network_month(db_session, period=dt.date(2025, 3, 1), network_hashrate_avg_ehs=Decimal(800))
    row = client.get("/api/v1/companies/lonely/monthly").json()["data"][0]
    assert row["btc_mined"] == 100
    for name in ("realized_hashrate_ehs", "share_of_network_pct", "mining_revenue_usd", "hashprice_usd_per_ph_day"):
        assert row[name] is None, name
    csv_text = client.get("/api/v1/companies/lonely/monthly?format=csv&shape=long").text
    assert "mining_revenue_usd" not in csv_text and "realized_hashrate_ehs" not in csv_text
