"""Coverage wherever a company value summed from sites is read: API JSON and CSV, frames, quarter frames, the
overview's KPI cards, charts, tables and chart CSVs."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_company, make_company_month, make_site, make_site_month
from tests.web_helpers import figures, hover_notes, parse_csv, trace

JAN, FEB, MAR = (dt.date(2025, m, 1) for m in (1, 2, 3))
PARTIAL = "2 of 3 sites (South not reported)"


@pytest.fixture
def triad(db_session: Session) -> None:
    """Three operating sites; South does not report March: March's sums cover two of them."""
    company = make_company(db_session, slug="triad", name="Triad Mining")
    north, south, west = (
        make_site(db_session, company, slug=slug, name=slug.title(), energized_on=dt.date(2020, 1, 1))
        for slug in ("north", "south", "west")
    )
    hashrates = {JAN: ("5", "4", "5.7"), FEB: ("5", "4", "5.7"), MAR: ("1.6", None, "1.5")}
    for period, figures_ in hashrates.items():
        for site, value in zip((north, south, west), figures_, strict=True):
            if value is not None:
                make_site_month(
                    db_session,
                    site,
                    period=period,
                    hashrate_avg_ehs=Decimal(value),
                    hashrate_end_ehs=Decimal(value),
                    btc_mined=Decimal("10"),
                )


@pytest.mark.usefixtures("triad")
def test_monthly_json_gives_each_site_aggregate_its_sites(client: TestClient) -> None:
    body = client.get("/api/v1/companies/triad/monthly?metrics=hashrate_avg_ehs,btc_mined,btc_per_ehs_day").json()
    by = {row["period"]: row for row in body["data"]}
    march = by["2025-03"]["coverage"]["hashrate_avg_ehs"]
    assert sorted(march["sites_reported"]) == ["north", "west"]
    assert sorted(march["sites_active"]) == ["north", "south", "west"]
    # A complete month is listed too: every operating site reported.
    feb = by["2025-02"]["coverage"]["btc_mined"]
    assert sorted(feb["sites_reported"]) == sorted(feb["sites_active"]) == ["north", "south", "west"]
    # The derived yield inherits March's partial coverage; February to March is no change.
    assert sorted(by["2025-03"]["coverage"]["btc_per_ehs_day"]["sites_reported"]) == ["north", "west"]
    assert "hashrate_avg_ehs" not in by["2025-03"]["changes"]
    assert by["2025-02"]["changes"]["hashrate_avg_ehs"]["mom_pct"] == 0


@pytest.mark.usefixtures("triad")
def test_monthly_csvs_say_which_sites_in_words(client: TestClient) -> None:
    wide = parse_csv(client.get("/api/v1/companies/triad/monthly?metrics=hashrate_avg_ehs,btc_mined&format=csv").text)
    by = {r["period"]: r for r in wide}
    assert by["2025-03"]["hashrate_avg_ehs__coverage"] == PARTIAL
    assert by["2025-02"]["hashrate_avg_ehs__coverage"] == ""
    long = parse_csv(client.get("/api/v1/companies/triad/monthly?metrics=hashrate_avg_ehs&shape=long&format=csv").text)
    assert {r["period"]: r["coverage"] for r in long} == {"2025-01": "", "2025-02": "", "2025-03": PARTIAL}


@pytest.mark.usefixtures("triad")
def test_a_frame_gives_each_company_its_coverage(client: TestClient, db_session: Session) -> None:
    whole = make_company(db_session, slug="wholeco")
    make_company_month(db_session, whole, period=MAR, hashrate_avg_ehs=Decimal("20"))
    rows = {r["company"]: r for r in client.get("/api/v1/frames/hashrate_avg_ehs/2025-03").json()["data"]}
    assert sorted(rows["triad"]["coverage"]["sites_reported"]) == ["north", "west"]
    assert rows["wholeco"]["coverage"] is None and rows["wholeco"]["value"] == 20
    csv_rows = {
        r["company"]: r for r in parse_csv(client.get("/api/v1/frames/hashrate_avg_ehs/2025-03?format=csv").text)
    }
    assert csv_rows["triad"]["coverage"] == PARTIAL and csv_rows["wholeco"]["coverage"] == ""


@pytest.mark.usefixtures("triad")
def test_a_quarter_frame_names_its_partial_months(client: TestClient) -> None:
    rows = {r["company"]: r for r in client.get("/api/v1/frames/btc_mined/quarters/2025-Q1").json()["data"]}
    months = rows["triad"]["coverage"]
    assert sorted(months) == ["2025-01", "2025-02", "2025-03"]
    assert sorted(months["2025-03"]["sites_reported"]) == ["north", "west"]
    text = parse_csv(client.get("/api/v1/frames/btc_mined/quarters/2025-Q1?format=csv").text)
    assert {r["company"]: r["coverage"] for r in text}["triad"] == f"2025-03: {PARTIAL}"


def test_a_company_without_sites_has_no_coverage(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="totalsonly")
    make_company_month(db_session, company, period=JAN, hashrate_avg_ehs=Decimal("8"))
    make_company_month(db_session, company, period=FEB, hashrate_avg_ehs=Decimal("10"))
    body = client.get("/api/v1/companies/totalsonly/monthly?metrics=hashrate_avg_ehs").json()
    assert [row["coverage"] for row in body["data"]] == [{}, {}]
    assert body["data"][1]["changes"]["hashrate_avg_ehs"]["mom_pct"] == 25
    page = client.get("/companies/totalsonly").text
    assert "kpi-coverage" not in page and "sites" not in _card(page, "hashrate_avg_ehs")
    mom = re.search(r'class="kpi-mom"[^>]*>(.*?)</', _card(page, "hashrate_avg_ehs"), flags=re.S)
    assert mom and mom.group(1).startswith("+25")


def _card(page: str, metric: str) -> str:
    match = re.search(rf'<div class="kpi[^"]*" data-metric="{metric}"[^>]*>(.*?)</div>', page, flags=re.S)
    assert match, f"no card for {metric}"
    return match.group(1)


@pytest.mark.usefixtures("triad")
def test_the_overview_says_which_sites_a_partial_month_covers(client: TestClient) -> None:
    page = client.get("/companies/triad").text
    card = _card(page, "hashrate_avg_ehs")
    assert PARTIAL in card
    # The change from February (three sites) to March (two) is not shown, and the hover says why.
    mom = re.search(r'<abbr class="kpi-mom na" title="([^"]*)">n/a</abbr>', card)
    assert mom and mom.group(1) == "not comparable: March 2025 covers 2 of 3 sites"
    # The chart draws March's company average as an estimate is drawn and says why on hover.
    chart = figures(page)["hashrate"]
    average = trace(chart, "Company, monthly average")
    march = average["x"].index("2025-03-01")
    assert average["marker"]["symbol"][march].endswith("-open")
    assert not average["marker"]["symbol"][march - 1].endswith("-open")
    assert f"Partial: {PARTIAL}" in hover_notes(chart, average)[march]
    # The table under the chart: "2 of 3 sites" in the cell, the missing site on hover.
    assert f'title="Partial: {PARTIAL}">2 of 3 sites<' in html.unescape(page)
    named = parse_csv(client.get("/companies/triad/charts/hashrate.csv?header=names").text)
    rows = {r["period"]: r for r in named}
    assert rows["2025-03"]["hashrate_avg_ehs__coverage"] == PARTIAL
    assert rows["2025-02"]["hashrate_avg_ehs__coverage"] == ""
    # The download people open: the same column under the chart's own label.
    labelled = {r["Month"]: r for r in parse_csv(client.get("/companies/triad/charts/hashrate.csv").text)}
    assert PARTIAL in [v for k, v in labelled["2025-03"].items() if k.endswith(": coverage")]


@pytest.mark.usefixtures("triad")
def test_the_league_marks_a_partial_value_and_shows_no_change_across_it(client: TestClient) -> None:
    body = client.get("/api/v1/league?month=2025-03&sort=btc_mined").json()
    cell = next(r for r in body["data"] if r["company"] == "triad")["figures"]["btc_mined"]
    assert cell["coverage"] == PARTIAL and cell["mom_pct"] is None and cell["value"] == 20
    rows = parse_csv(client.get("/api/v1/league?month=2025-03&format=csv").text)
    assert next(r for r in rows if r["company"] == "triad")["btc_mined__coverage"] == PARTIAL
    page = html.unescape(client.get("/league?month=2025-03").text)
    assert f'title="Partial: {PARTIAL}">2 of 3 sites<' in page


@pytest.fixture
def gap_before_range(db_session: Session) -> None:
    """North has no recorded energized month; it reported in 2023, then nothing until March 2025. East reported
    every month. Whether January 2025 counts North among the sites depends on its whole history, not on the
    months a page happens to read."""
    company = make_company(db_session, slug="gappy", name="Gappy Mining")
    north = make_site(db_session, company, slug="north", name="North")
    east = make_site(db_session, company, slug="east", name="East", energized_on=dt.date(2020, 1, 1))
    make_site_month(db_session, north, period=dt.date(2023, 6, 1))
    make_site_month(db_session, north, period=MAR)
    period = dt.date(2023, 6, 1)
    while period <= MAR:
        make_site_month(db_session, east, period=period)
        period = (period + dt.timedelta(days=32)).replace(day=1)


@pytest.mark.usefixtures("gap_before_range")
@pytest.mark.parametrize("since", ["2023-06", "2024-12", "2025-01"])
def test_a_months_coverage_does_not_depend_on_the_range_asked_for(client: TestClient, since: str) -> None:
    body = client.get(f"/api/v1/companies/gappy/monthly?from={since}&to=2025-03&metrics=hashrate_avg_ehs").json()
    january = next(row for row in body["data"] if row["period"] == "2025-01")
    assert january["coverage"]["hashrate_avg_ehs"] == {"sites_reported": ["east"], "sites_active": ["east", "north"]}


@pytest.mark.usefixtures("gap_before_range")
def test_the_overview_of_a_short_range_names_the_site_missing_before_its_return(client: TestClient) -> None:
    page = html.unescape(client.get("/companies/gappy?from=2025-01&to=2025-03").text)
    assert "1 of 2 sites (North not reported)" in page
