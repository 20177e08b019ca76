"""The league table: page and API read the same rows; ranks, month-over-month, gaps that are not last place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.domain.league import build_league, default_month
from app.domain.metrics import METRICS
from app.domain.reports import MonthView
from tests.factories import make_company, make_company_month, make_network_month, make_site, make_site_month

MAY, APRIL = dt.date(2025, 5, 1), dt.date(2025, 4, 1)


def _view(period: dt.date, **values: Decimal) -> MonthView:
    base: dict[str, Decimal | None] = dict.fromkeys(METRICS)
    base.update(values)
    return MonthView(period=period, values=base)


def test_ranks_share_ties_and_gaps_come_after() -> None:
    rows = build_league(
        [
            ("a", "Alpha", "A", [_view(MAY, btc_mined=Decimal(10), fleet_efficiency_jth=Decimal(20))]),
            ("b", "Beta", "B", [_view(MAY, btc_mined=Decimal(30), fleet_efficiency_jth=Decimal(17))]),
            ("c", "Gamma", "C", [_view(MAY, btc_mined=Decimal(30))]),
            ("d", "Delta", "D", [_view(APRIL, btc_mined=Decimal(99))]),  # nothing for May: a gap, not last
        ],
        MAY,
    )
    assert [r.slug for r in rows] == ["b", "c", "a", "d"]
    assert [r.cells["btc_mined"].rank for r in rows] == [1, 1, 3, None]
    assert rows[-1].cells["btc_mined"].value is None and not rows[-1].reported
    # Lower is better for efficiency; a company without the figure has no rank for it.
    efficiency = {r.slug: r.cells["fleet_efficiency_jth"].rank for r in rows}
    assert efficiency == {"b": 1, "a": 2, "c": None, "d": None}
    by_efficiency = build_league(
        [("a", "Alpha", None, [_view(MAY, fleet_efficiency_jth=Decimal(20))])], MAY, "fleet_efficiency_jth"
    )
    assert by_efficiency[0].cells["fleet_efficiency_jth"].rank == 1


def test_month_over_month_needs_both_months() -> None:
    rows = build_league(
        [
            ("a", "Alpha", None, [_view(APRIL, btc_mined=Decimal(200)), _view(MAY, btc_mined=Decimal(250))]),
            ("b", "Beta", None, [_view(MAY, btc_mined=Decimal(100))]),
        ],
        MAY,
    )
    cells = {r.slug: r.cells["btc_mined"] for r in rows}
    assert cells["a"].mom_pct == Decimal(25) and cells["b"].mom_pct is None


def test_default_month_is_the_latest_most_companies_published() -> None:
    assert default_month({}) is None
    counts = {dt.date(2024, 5, 1): 7, dt.date(2024, 3, 1): 7, dt.date(2025, 1, 1): 4}
    assert default_month(counts) == dt.date(2024, 5, 1)


def _seed_two(db_session: Session) -> None:
    big = make_company(db_session, slug="big", name="Big Miner")
    small = make_company(db_session, slug="small", name="Small Miner")
    quiet = make_company(db_session, slug="quiet", name="Quiet Miner")
    make_company_month(db_session, big, period=APRIL, btc_mined_total=Decimal(400), btc_held_end=Decimal(1000))
    make_company_month(db_session, big, period=MAY, btc_mined_total=Decimal(500), btc_held_end=None)
    make_company_month(db_session, quiet, period=APRIL, btc_mined_total=Decimal(50), btc_held_end=Decimal(5))
    site = make_site(db_session, small, slug="only")
    make_site_month(db_session, site, period=MAY, btc_mined=Decimal("120.5"), hashrate_avg_ehs=Decimal(6))
    make_network_month(
        db_session,
        period=MAY,
        network_hashrate_avg_ehs=Decimal(800),
        network_subsidy_btc=Decimal(14000),
        network_fees_btc=Decimal(200),
    )


def test_league_api_and_page_show_the_same_rows(client: TestClient, db_session: Session) -> None:
    _seed_two(db_session)
    body = client.get("/api/v1/league").json()
    # Two companies published May, one April: May is the default.
    assert body["month"] == "2025-05" and body["default_month"] == "2025-05" and body["sort"] == "btc_mined"
    rows = {r["company"]: r for r in body["data"]}
    assert [r["company"] for r in body["data"]] == ["big", "small", "quiet"]
    big, small, quiet = rows["big"]["figures"], rows["small"]["figures"], rows["quiet"]["figures"]
    assert big["btc_mined"] == {
        "value": 500,
        "rank": 1,
        "mom_pct": 25,
        "basis": None,
        "is_estimate": False,
        "coverage": None,
    }
    assert small["btc_mined"]["rank"] == 2 and small["btc_mined"]["mom_pct"] is None
    # 500 / 14,200 × 800 EH/s; Big reported no hashrate: its share is from BTC mined, and says so.
    assert round(big["realized_hashrate_ehs"]["value"], 4) == round(500 / 14200 * 800, 4)
    assert big["share_of_network_pct"]["basis"] and small["share_of_network_pct"]["basis"] is None
    assert small["share_of_network_pct"]["value"] == 0.75  # 6 EH/s of 800
    # Holdings: Big published none for May (a gap, no rank), not last place behind someone with a figure.
    assert big["btc_held_end"] == {
        "value": None,
        "rank": None,
        "mom_pct": None,
        "basis": None,
        "is_estimate": False,
        "coverage": None,
    }
    assert quiet["btc_mined"]["value"] is None and rows["quiet"]["reported"] is False
    page = client.get("/league")
    assert page.status_code == 200
    for slug in rows:
        assert f'data-company="{slug}"' in page.text
    assert 'data-metric="btc_mined" data-value="500"' in page.text
    assert "no release for this month" in page.text
    april = client.get("/api/v1/league?month=2025-04&sort=btc_held_end").json()
    assert [r["company"] for r in april["data"]][:2] == ["big", "quiet"]
    csv_text = client.get("/api/v1/league?month=2025-05&format=csv").text
    assert csv_text.splitlines()[1].startswith("big,Big Miner,")


def test_league_errors_and_openapi(client: TestClient, db_session: Session) -> None:
    assert client.get("/api/v1/league").status_code == 404  # nobody has published yet
    _seed_two(db_session)
    assert client.get("/api/v1/league?month=2025-13").status_code == 400
    assert client.get("/api/v1/league?sort=nonsense").status_code == 400
    assert client.get("/league?sort=nonsense").status_code == 400
    assert client.get("/league?month=garbage").status_code == 400
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/league"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"month", "sort", "format"}
    assert "LeaguePage" in str(operation["responses"]["200"])


def test_demo_league_defaults_to_may_2024(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    body = client.get("/api/v1/league").json()
    assert body["month"] == "2024-05"
    ranked = [r["company"] for r in body["data"] if r["figures"]["btc_mined"]["rank"] is not None]
    assert ranked == ["mara", "core-scientific", "cleanspark", "iren", "terawulf", "bitdeer", "bitfarms"]
    clsk = next(r for r in body["data"] if r["company"] == "cleanspark")["figures"]
    assert clsk["btc_mined"]["value"] == 417 and clsk["btc_held_end"]["rank"] == 1
