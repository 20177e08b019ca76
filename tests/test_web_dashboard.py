"""The investor overview: KPIs, every chart, ranges and site filter, CSVs, provenance, caching, odd data."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.domain.charts import PALETTE
from app.http.deps import CompanyOr404, SessionDep, get_session
from app.store.models import RecordStatus
from app.web.dashboard import render_overview
from tests.factories import (
    make_company,
    make_company_month,
    make_event,
    make_network_month,
    make_site,
    make_site_month,
)
from tests.web_helpers import by_month, figures, hover_notes, names, parse_csv, trace

ALL_CHARTS = {
    "hashrate",
    "btc_mined",
    "realized",
    "share",
    "yield",
    "revenue",
    "treasury",
    "efficiency",
    "hashprice",
}


def _kpi(page: str, metric: str) -> str:
    import re

    match = re.search(rf'data-metric="{metric}".*?data-value="([^"]*)"', page, flags=re.S)
    assert match, f"no KPI value for {metric}"
    return match.group(1)


def test_demo_overview_kpis_match_the_database(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark").text
    from sqlalchemy import select

    from app.store.models import Company, CompanyMonth

    company = db_session.scalar(select(Company).where(Company.slug == "cleanspark"))
    rows = db_session.scalars(
        select(CompanyMonth).where(CompanyMonth.company_id == company.id).order_by(CompanyMonth.period)
    ).all()
    # Every card is of the latest release; a figure it left out says when it was last reported.
    release = rows[-1]
    assert set(re.findall(r'data-metric="[a-z_]+" data-period="([0-9-]+)"', page)) == {f"{release.period:%Y-%m}"}
    for metric, column in (("btc_mined", "btc_mined_total"), ("btc_held_end", "btc_held_end")):
        value = getattr(release, column)
        if value is not None:
            assert Decimal(_kpi(page, metric)) == value
        else:
            last = next(r for r in reversed(rows) if getattr(r, column) is not None)
            card = re.search(rf'data-metric="{metric}".*?</div>', page, flags=re.S).group(0)
            assert "not reported" in card and f"{last.period:%B %Y}" in card
            assert Decimal(re.search(r'data-value="([^"]*)"', card).group(1)) == getattr(last, column)
    assert f"Data as of the {release.period:%B %Y} release" in page
    assert "Illustrative site split" in page
    assert set(figures(page)) == ALL_CHARTS


def test_every_chart_has_a_table_and_a_csv_with_units_and_sources(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark").text
    assert page.count("Data behind this chart") == len(ALL_CHARTS)
    for key in ALL_CHARTS:
        assert f'href="/companies/cleanspark/charts/{key}.csv"' in page
    response = client.get("/companies/cleanspark/charts/btc_mined.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    # Headings as the page says them: labels and units, never the internal names.
    labelled = parse_csv(response.text)
    by_label = {r["Month"]: r for r in labelled}
    assert by_label["2025-01"]["Published company total (BTC)"] == "626"
    assert by_label["2025-01"]["Published company total: source"].startswith("https://")
    assert by_label["2025-01"]["Published company total: estimate"] == "false"
    assert by_label["2025-02"]["Published company total (BTC)"] == ""  # a gap, not a zero
    assert by_label["2025-01"]["Georgia: illustrative"] == "true"
    assert not [h for h in labelled[0] if "__" in h or "btc_" in h]
    # Scripts ask for the API's vocabulary.
    rows = parse_csv(client.get("/companies/cleanspark/charts/btc_mined.csv?header=names").text)
    by_period = {r["period"]: r for r in rows}
    assert by_period["2025-01"]["btc_mined_total"] == "626"
    assert by_period["2025-01"]["btc_mined_total__source_url"].startswith("https://")
    assert by_period["2025-01"]["btc_mined:georgia__illustrative"] == "true"
    # The CSV's series are exactly the chart's.
    chart = figures(page)["btc_mined"]
    chart_keys = [t["meta"]["key"] for t in chart["data"] if t["name"] != "Events"]
    csv_keys = [h for h in rows[0] if h not in ("period", "revision_reason") and "__" not in h]
    assert chart_keys == csv_keys
    assert len([h for h in labelled[0] if h.endswith(")") and ":" not in h]) == len(chart_keys)
    with_units = parse_csv(client.get("/companies/cleanspark/charts/btc_mined.csv?header=units").text)
    assert with_units[0]["btc_mined_total (BTC)"] == rows[0]["btc_mined_total"]
    assert len(rows) == len(chart["data"][0]["x"])


def test_range_links_and_custom_range_change_the_months(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark").text
    assert 'href="?range=12m"' in page and 'href="?range=24m"' in page
    twelve = figures(client.get("/companies/cleanspark?range=12m").text)
    assert len(trace(twelve["btc_mined"], "Published company total")["x"]) == 12
    custom = figures(client.get("/companies/cleanspark?from=2024-01&to=2024-06").text)
    x = trace(custom["treasury"], "Holdings at month end")["x"]
    assert x[0] == "2024-01-01" and x[-1] == "2024-06-01" and len(x) == 6
    csv_rows = parse_csv(client.get("/companies/cleanspark/charts/treasury.csv?from=2024-01&to=2024-06").text)
    assert [r["Month"] for r in csv_rows] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]


def test_bad_view_parameters_are_a_clear_400(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    for query, words in (
        ("from=2025-13", "from"),
        ("range=5y", "range"),
        ("from=2025-06&to=2025-01", "after"),
        ("site=mars", "mars"),
    ):
        response = client.get(f"/companies/cleanspark?{query}")
        assert response.status_code == 400, query
        assert words in response.text


def test_site_filter_keeps_the_total_and_sums_the_other_sites(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark?site=georgia").text
    btc = figures(page)["btc_mined"]
    assert names(btc) == ["Georgia (illustrative)", "Other sites (illustrative)", "Published company total"]
    georgia = by_month(trace(btc, "Georgia (illustrative)"))
    other = by_month(trace(btc, "Other sites (illustrative)"))
    total = by_month(trace(btc, "Published company total"))
    assert georgia["2025-01-01"] + other["2025-01-01"] == total["2025-01-01"]
    assert 'name="site" value="georgia" checked' in page


def test_etag_varies_with_the_query_and_answers_304(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    first = client.get("/companies/cleanspark")
    etag = first.headers["etag"]
    assert client.get("/companies/cleanspark", headers={"If-None-Match": etag}).status_code == 304
    other = client.get("/companies/cleanspark?range=12m")
    assert other.headers["etag"] != etag
    assert client.get("/companies/cleanspark?range=12m", headers={"If-None-Match": etag}).status_code == 200
    csv_etag = client.get("/companies/cleanspark/charts/btc_mined.csv").headers["etag"]
    assert (
        client.get("/companies/cleanspark/charts/btc_mined.csv", headers={"If-None-Match": csv_etag}).status_code == 304
    )


def test_a_published_change_changes_the_etag(client: TestClient, db_session: Session) -> None:
    from app.store.queries import bump_data_revision

    company = make_company(db_session, slug="fresh")
    make_company_month(db_session, company)
    etag = client.get("/companies/fresh").headers["etag"]
    bump_data_revision(session=db_session)
    assert client.get("/companies/fresh", headers={"If-None-Match": etag}).status_code == 200


def test_company_without_site_split(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="totals", name="Totals Only")
    for i, mined in enumerate(("500", "520", "540")):
        make_company_month(
            db_session,
            company,
            period=dt.date(2025, i + 1, 1),
            btc_mined_total=Decimal(mined),
            hashrate_avg_ehs=Decimal("30"),
            hashrate_end_ehs=Decimal("31"),
            fleet_efficiency_jth=Decimal("18.2"),
        )
    page = client.get("/companies/totals").text
    figs = figures(page)
    assert names(figs["btc_mined"]) == ["Published company total"]
    assert "Not broken out by site" in page
    assert "Illustrative site split" not in page
    assert not any("illustrative" in n for fig in figs.values() for n in names(fig))
    # Yield from exact decimals: 500 BTC / 30 EH/s / 31 days.
    yield_ = by_month(trace(figs["yield"], "Company"))
    assert abs(yield_["2025-01-01"] - 500 / 30 / 31) < 1e-9


def test_real_site_figures_with_gaps_are_not_labelled_illustrative(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="sited", name="Sited Mining")
    north = make_site(db_session, company, slug="north", name="North")
    south = make_site(db_session, company, slug="south", name="South")
    make_company_month(db_session, company, period=dt.date(2025, 1, 1), btc_mined_total=Decimal("300"))
    make_company_month(db_session, company, period=dt.date(2025, 3, 1), btc_mined_total=Decimal("320"))
    make_site_month(db_session, north, period=dt.date(2025, 1, 1), btc_mined=Decimal("120.5"))
    make_site_month(db_session, south, period=dt.date(2025, 1, 1), btc_mined=Decimal("170"))
    make_site_month(db_session, north, period=dt.date(2025, 3, 1), btc_mined=Decimal("130"), is_estimate=True)
    page = client.get("/companies/sited").text
    btc = figures(page)["btc_mined"]
    assert names(btc) == ["North", "South", "Not allocated to a site", "Published company total"]
    north_y = by_month(trace(btc, "North"))
    assert north_y == {"2025-01-01": 120.5, "2025-02-01": None, "2025-03-01": 130.0}
    assert by_month(trace(btc, "Not allocated to a site"))["2025-01-01"] == 9.5
    # The estimate is hatched and says why on hover.
    north_trace = trace(btc, "North")
    assert north_trace["marker"]["pattern"]["shape"] == ["", "", "/"]
    notes = hover_notes(btc, north_trace)
    assert "Estimate" in notes[2]
    assert notes[1] == "" and north_trace["y"][1] is None  # a gap: nothing to hover, no note
    assert "Illustrative site split" not in page


def test_many_sites_get_distinct_colours(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="many")
    sites = [make_site(db_session, company, slug=f"s{i:02d}", name=f"Site {i:02d}") for i in range(len(PALETTE) + 4)]
    make_company_month(db_session, company)
    for site in sites:
        make_site_month(db_session, site)
    btc = figures(client.get("/companies/many").text)["btc_mined"]
    colours = [t["marker"]["color"] for t in btc["data"] if t["name"].startswith("Site ")]
    assert len(colours) == len(sites) == len(set(colours))


def test_no_network_data_says_share_cannot_be_computed(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="nonet")
    make_company_month(db_session, company, hashrate_avg_ehs=Decimal("10"))
    page = client.get("/companies/nonet").text
    assert "share" not in figures(page)
    assert "No network figures for these months" in page


def test_share_of_network_uses_network_month(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="withnet")
    make_company_month(db_session, company, hashrate_avg_ehs=Decimal("39.25"))
    make_network_month(db_session, network_hashrate_avg_ehs=Decimal("785"))
    share = figures(client.get("/companies/withnet").text)["share"]
    assert by_month(trace(share, "Company"))["2025-01-01"] == 5.0


def test_one_month_only(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="single")
    make_company_month(db_session, company, period=dt.date(2025, 6, 1), btc_mined_total=Decimal("42.12345678"))
    response = client.get("/companies/single")
    assert response.status_code == 200
    btc = figures(response.text)["btc_mined"]
    assert trace(btc, "Published company total")["x"] == ["2025-06-01"]
    assert _kpi(response.text, "btc_mined") == "42.12345678"
    assert "June 2025" in response.text
    rows = parse_csv(client.get("/companies/single/charts/btc_mined.csv").text)
    assert rows == [
        {
            "Month": "2025-06",
            "Published company total (BTC)": "42.12345678",
            "Published company total: source": "",
            "Published company total: estimate": "false",
            "Published company total: illustrative": "false",
            "Published company total: revised": "false",
            "Revision reason": "",
        }
    ]


def test_company_without_any_figures(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="empty", name="Empty Co")
    response = client.get("/companies/empty")
    assert response.status_code == 200
    assert "No published figures yet" in response.text
    assert "plotly" not in response.text


def test_drafts_never_reach_investors_but_the_preview_shows_them(client: TestClient, db_session: Session) -> None:
    from app.http.templating import templates
    from app.web.dashboard import build_overview_context

    company = make_company(db_session, slug="drafts")
    make_company_month(db_session, company, period=dt.date(2025, 1, 1), btc_mined_total=Decimal("100"))
    make_company_month(
        db_session, company, period=dt.date(2025, 2, 1), btc_mined_total=Decimal("999"), status=RecordStatus.draft
    )
    page = client.get("/companies/drafts").text
    total = by_month(trace(figures(page)["btc_mined"], "Published company total"))
    assert total == {"2025-01-01": 100.0}
    assert "Preview" not in page
    assert client.get("/companies/drafts/charts/btc_mined.csv").text.count("999") == 0

    context = build_overview_context(company, session=db_session, published_only=False, preview=True)
    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/staff/preview", "headers": [], "query_string": b""})
    html = templates.get_template("dashboard/overview.html").render({**context, "request": request})
    assert "Preview: includes draft figures" in html
    preview_total = by_month(trace(figures(html)["btc_mined"], "Published company total"))
    assert preview_total == {"2025-01-01": 100.0, "2025-02-01": 999.0}
    assert ".csv" not in html  # downloads are public: published figures only


def test_revised_month_says_so(client: TestClient, db_session: Session) -> None:
    from app.domain.actors import Actor
    from app.schemas.months import CompanyMonthCreate
    from app.store.queries.months import save_company_month

    company = make_company(db_session, slug="revised")
    editor, period = Actor.user(3, "ed@example.com", "editor"), dt.date(2025, 1, 1)
    save_company_month(
        session=db_session,
        company=company,
        period=period,
        data=CompanyMonthCreate(btc_mined_total="100", btc_held_end="900"),
        actor=editor,
        expected_version=None,
        publish=True,
    )
    save_company_month(
        session=db_session,
        company=company,
        period=period,
        data=CompanyMonthCreate(btc_mined_total="101", btc_held_end="900"),
        actor=editor,
        expected_version=1,
        reason="Auditor restated the total",
    )
    page = client.get("/companies/revised").text
    assert "revised" in page and "Auditor restated the total" in page
    btc = figures(page)["btc_mined"]
    note = hover_notes(btc, trace(btc, "Published company total"))[0]
    assert "Revised " in note and "by editor: 100 BTC → 101 BTC — Auditor restated the total" in note
    # Only the corrected figure says so: the month's holdings were not corrected.
    treasury = figures(page)["treasury"]
    assert "Revised" not in hover_notes(treasury, trace(treasury, "Holdings at month end"))[0]
    rows = parse_csv(client.get("/companies/revised/charts/btc_mined.csv").text)
    assert "Auditor restated the total" in rows[0]["Revision reason"]
    assert rows[0]["Published company total: revised"] == "true"


def test_events_are_on_every_chart_with_their_titles(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="evented")
    make_company_month(db_session, company, period=dt.date(2024, 4, 1), hashrate_avg_ehs=Decimal("5"))
    make_company_month(db_session, company, period=dt.date(2024, 5, 1), hashrate_avg_ehs=Decimal("6"))
    make_network_month(db_session, period=dt.date(2024, 4, 1), network_hashrate_avg_ehs=Decimal("600"))
    make_event(db_session, title="Halving of the test")
    page = client.get("/companies/evented").text
    for key, figure in figures(page).items():
        events = trace(figure, "Events")
        assert any("Halving of the test" in t for t in events["hovertext"]), key
        assert figure["layout"]["shapes"], key


def test_footer_links_to_the_staff_area(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="one")
    assert 'href="/staff/"' in client.get("/").text


def test_numbers_have_thousands_separators(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="big")
    make_company_month(db_session, company, btc_held_end=Decimal("13513.25"))
    page = client.get("/companies/big").text
    assert "13,513" in page


def test_sites_reporting_only_averages_are_still_split(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="avgonly")
    site = make_site(db_session, company, slug="a", name="A")
    make_site_month(db_session, site, hashrate_avg_ehs=Decimal("7.5"), hashrate_end_ehs=None, btc_mined=Decimal("9"))
    figs = figures(client.get("/companies/avgonly").text)
    assert by_month(trace(figs["hashrate"], "A")) == {"2025-01-01": 7.5}
    # No company total was published: no line pretends the site sum is one.
    assert "Published company total" not in names(figs["btc_mined"])
    assert by_month(trace(figs["btc_mined"], "A")) == {"2025-01-01": 9.0}


def test_render_overview_for_the_staff_preview(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="pre")
    make_company_month(db_session, company, btc_mined_total=Decimal("1"), status=RecordStatus.draft)
    app = FastAPI()

    @app.get("/preview/{slug}")
    def preview(request: Request, company: CompanyOr404, session: SessionDep):  # type: ignore[no-untyped-def]
        return render_overview(request, company, session=session, published_only=False, preview=True)

    app.dependency_overrides[get_session] = lambda: db_session
    page = TestClient(app).get("/preview/pre?range=12m").text
    assert "Preview: includes draft figures" in page
    assert by_month(trace(figures(page)["btc_mined"], "Published company total")) == {"2025-01-01": 1.0}
    assert "No published figures yet" in client.get("/companies/pre").text


def test_tables_show_the_latest_months_and_link_to_all_of_them(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="decade")
    periods = [dt.date(2016 + i // 12, i % 12 + 1, 1) for i in range(40)]
    for i, period in enumerate(periods):
        make_company_month(db_session, company, period=period, btc_held_end=Decimal(f"{1000 + i}.125"))
    page = client.get("/companies/decade").text
    treasury = page[page.index('id="chart-treasury-title"') : page.index('id="chart-efficiency-title"')]
    held = re.findall(r'<td data-value="(10\d\d\.125)"', treasury)
    # Newest first, the latest 24 of 40 months, and a link to the whole table for the same view.
    assert held == [f"{1000 + i}.125" for i in range(39, 15, -1)]
    assert "The latest 24 of 40 months" in treasury
    assert 'href="/companies/decade/charts/treasury"' in treasury
    full = client.get("/companies/decade/charts/treasury")
    assert full.status_code == 200 and full.headers["content-type"].startswith("text/html")
    assert re.findall(r'<td data-value="(10\d\d\.125)"', full.text) == [f"{1000 + i}.125" for i in range(39, -1, -1)]
    assert 'href="/companies/decade/charts/treasury.csv"' in full.text
    # The view travels: a range on the overview links to the table of that range.
    short = client.get("/companies/decade?range=12m").text
    assert "The latest" not in short and "/charts/treasury?range=12m" not in short
    assert (
        len(
            re.findall(
                r'<td data-value="(10\d\d\.125)"', client.get("/companies/decade/charts/treasury?range=12m").text
            )
        )
        == 12
    )
    assert client.get("/companies/decade/charts/nonsense").status_code == 404
