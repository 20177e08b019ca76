"""Read endpoints of API v1: paging, CSV twins, caching, problem details, published figures only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.domain.metrics import METRICS, SITE_METRICS
from app.domain.reports import add_months
from app.store.queries import bump_data_revision
from tests.factories import (
    make_company,
    make_company_month,
    make_event,
    make_network_month,
    make_site,
    make_site_month,
)


def _exact(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)


def _follow(client: TestClient, url: str) -> tuple[list[dict], int]:
    rows: list[dict] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = _exact(response)
        rows += body["data"]
        pages += 1
        link = response.headers.get("link")
        if body["next"]:
            assert link == f'<{body["next"]}>; rel="next"'
        else:
            assert link is None
        url = body["next"]
    return rows, pages


def _site_months(db_session: Session, slug: str, sites: int, months: int) -> dict[tuple[str, str], Decimal | None]:
    company = make_company(db_session, slug=slug)
    made: dict[tuple[str, str], Decimal | None] = {}
    for s in range(sites):
        site = make_site(db_session, company, slug=f"s{s:02d}")
        for m in range(months):
            period = add_months(dt.date(2022, 1, 1), m)
            status = "draft" if (s + m) % 7 == 0 else "published"
            btc = Decimal(f"{s}.{m:08d}")
            make_site_month(db_session, site, period=period, btc_mined=btc, status=status)
            made[(f"{period:%Y-%m}", site.slug)] = btc if status == "published" else None
    return made


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=40))
def test_paging_site_months_returns_every_row_once(client: TestClient, db_session: Session, limit: int) -> None:
    slug = f"paged-{limit}-{id(object())}"
    expected = _site_months(db_session, slug, sites=5, months=13)
    rows, pages = _follow(client, f"/api/v1/companies/{slug}/site-monthly?limit={limit}&metrics=btc_mined")
    got = [(r["period"], r["site"]) for r in rows]
    # Every (month, site) once, in (period, site) order; a draft is a null, never its value.
    assert got == sorted(expected)
    assert {(r["period"], r["site"]): r["btc_mined"] for r in rows} == expected
    assert pages == -(-len(expected) // limit)
    whole = _exact(client.get(f"/api/v1/companies/{slug}/site-monthly?metrics=btc_mined"))
    assert whole["count"] == len(expected) and whole["next"] is None and whole["limit"] is None


def test_paging_company_months_covers_the_range_once(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="longrun")
    for m in range(0, 250, 5):
        make_company_month(db_session, company, period=add_months(dt.date(2005 + 4, 1, 1), m))
    rows, pages = _follow(client, "/api/v1/companies/longrun/monthly?limit=50&metrics=btc_mined")
    periods = [r["period"] for r in rows]
    assert len(periods) == len(set(periods)) == 246  # every calendar month from the first to the last
    assert periods == sorted(periods)
    assert pages == 5


def test_limit_over_the_maximum_is_refused(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="capped")
    response = client.get("/api/v1/companies/capped/monthly?limit=10001")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "query.limit"
    assert response.json()["detail"] == "limit: expected at most 10000, got 10001"


def test_bad_cursor_is_a_problem(client: TestClient) -> None:
    for url in ("/api/v1/companies?cursor=Not%20A%20Slug", "/api/v1/events?cursor=999999~1x"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert [e["path"] for e in body["errors"]] == ["query.cursor"]
        assert body["instance"] == url.split("?")[0]


def test_any_cursor_the_schema_allows_is_a_position(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="aaa-first")
    make_company(db_session, slug="zzz-last")
    after = client.get("/api/v1/companies?cursor=mmm").json()["data"]
    assert "zzz-last" in [c["slug"] for c in after] and "aaa-first" not in [c["slug"] for c in after]
    assert client.get("/api/v1/events?cursor=999999~0").json()["data"] == []
    halving = make_event(db_session, date=dt.date(2024, 4, 20), title="Cursor halving")
    # An id beyond the 32-bit column (the pattern allows 18 digits) is past every event of that day.
    day = halving.date.toordinal()
    later = client.get(f"/api/v1/events?cursor={day - 1}~999999999999999999")
    assert later.status_code == 200 and "Cursor halving" in [e["title"] for e in later.json()["data"]]
    past = client.get(f"/api/v1/events?cursor={day}~999999999999999999").json()["data"]
    assert "Cursor halving" not in [e["title"] for e in past]


def _csv(response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def _seed_month_data(db_session: Session) -> None:
    company = make_company(db_session, slug="twin")
    site = make_site(db_session, company, slug="alpha")
    for m, btc in enumerate(["600.12345678", "610", "599.5"]):
        period = dt.date(2025, 1 + m, 1)
        make_site_month(db_session, site, period=period, btc_mined=Decimal(btc), source_url='=HYPERLINK("x")')
        make_company_month(db_session, company, period=period, btc_mined_total=Decimal(btc) + 1)
    make_network_month(db_session, period=dt.date(2013, 1, 1))


def test_wide_csv_equals_json(client: TestClient, db_session: Session) -> None:
    _seed_month_data(db_session)
    url = "/api/v1/companies/twin/monthly?from=2024-12&to=2025-03"
    body = _exact(client.get(url))
    rows = _csv(client.get(url + "&format=csv"))
    assert [r["period"] for r in rows] == [m["period"] for m in body["data"]]
    for row, month in zip(rows, body["data"], strict=True):
        assert row["company"] == month["company"] == "twin"
        for name in METRICS:
            cell = row[name]  # the same bare names as the JSON keys
            assert (Decimal(cell) if cell else None) == month[name], (month["period"], name)
    assert body["data"][0]["btc_mined"] is None and rows[0]["btc_mined"] == ""  # a gap, not a zero
    with_units = _csv(client.get(url + "&format=csv&header=units"))
    assert [r[f"btc_mined ({METRICS['btc_mined'].unit})"] for r in with_units] == [r["btc_mined"] for r in rows]


def test_long_csv_equals_json_with_provenance(client: TestClient, db_session: Session) -> None:
    _seed_month_data(db_session)
    url = "/api/v1/companies/twin/sites/alpha/monthly?provenance=true"
    body = _exact(client.get(url))
    rows = _csv(client.get(url, headers={"Accept": "text/csv"}, params={"shape": "long"}))
    from_json = {
        (m["period"], name): (m[name], m["sources"][name]["source_url"])
        for m in body["data"]
        for name in SITE_METRICS
        if m[name] is not None
    }
    from_csv = {(r["period"], r["metric"]): (Decimal(r["value"]), r["source_url"]) for r in rows}
    assert from_csv.keys() == from_json.keys()
    for key, (value, source) in from_json.items():
        assert from_csv[key][0] == value
        # The cell a spreadsheet would run as a formula is neutralised; the JSON keeps the text as stored.
        assert from_csv[key][1] == "'" + source
    assert from_json[("2025-01", "btc_mined")][0] == Decimal("600.12345678")


def test_metrics_selection_and_unknown_metric(client: TestClient, db_session: Session) -> None:
    _seed_month_data(db_session)
    body = client.get("/api/v1/companies/twin/monthly?metrics=btc_mined,btc_per_day&from=2025-01&to=2025-01").json()
    month = body["data"][0]
    assert set(METRICS) & set(month) == {"btc_mined", "btc_per_day"}
    assert body["units"] == {"btc_mined": "BTC", "btc_per_day": "BTC/day"}
    response = client.get("/api/v1/companies/twin/monthly?metrics=btc_mined,bogus")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "query.metrics"


def test_month_over_month_change(client: TestClient, db_session: Session) -> None:
    _seed_month_data(db_session)
    body = _exact(client.get("/api/v1/companies/twin/monthly?from=2025-02&to=2025-02&metrics=btc_mined"))
    change = body["data"][0]["changes"]["btc_mined"]
    expected = (Decimal("611") - Decimal("601.12345678")) / Decimal("601.12345678") * 100
    assert change["mom_pct"] == expected.quantize(Decimal("1e-10"))
    assert change["yoy_pct"] is None


def test_etag_304_and_revision_change(client: TestClient, db_session: Session) -> None:
    _seed_month_data(db_session)
    url = "/api/v1/companies/twin/monthly"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert "last-modified" in first.headers
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # The CSV twin is another representation: another ETag.
    assert client.get(url + "?format=csv").headers["etag"] != etag
    assert client.get(url, headers={"Accept": "text/csv"}).headers["etag"] not in (etag, None)
    bump_data_revision(session=db_session)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_every_read_endpoint_has_an_etag(client: TestClient, db_session: Session) -> None:
    _seed_month_data(db_session)
    make_event(db_session, company_id=None)
    for url in (
        "/api/v1/companies",
        "/api/v1/companies/twin",
        "/api/v1/companies/twin/sites",
        "/api/v1/companies/twin/sites/alpha",
        "/api/v1/companies/twin/monthly",
        "/api/v1/companies/twin/site-monthly",
        "/api/v1/companies/twin/sites/alpha/monthly",
        "/api/v1/network/monthly",
        "/api/v1/events",
        "/api/v1/metrics",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["etag"], url
        assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304, url


def test_drafts_never_appear(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="drafts")
    site = make_site(db_session, company, slug="only")
    make_site_month(db_session, site, period=dt.date(2025, 1, 1), status="draft", btc_mined=Decimal(9))
    make_site_month(db_session, site, period=dt.date(2025, 2, 1), btc_mined=Decimal(5))
    rows = client.get("/api/v1/companies/drafts/sites/only/monthly").json()["data"]
    assert [(r["period"], r["btc_mined"]) for r in rows] == [("2025-02", 5)]
    detail = client.get("/api/v1/companies/drafts/sites/only").json()
    assert detail["first_period"] == "2025-02"


def test_metric_dictionary_comes_from_the_code(client: TestClient) -> None:
    body = client.get("/api/v1/metrics").json()["data"]
    assert [m["name"] for m in body] == list(METRICS)
    efficiency = next(m for m in body if m["name"] == "fleet_efficiency_jth")
    assert efficiency | {"label": None} == {
        "name": "fleet_efficiency_jth",
        "label": None,
        "unit": "J/TH",
        "level": "site",
        "timing": "month_end",
        "aggregation": "weighted_mean",
        "weight": "hashrate_end_ehs",
        "decimals": 2,
        "formula": None,
        "lower_is_better": True,
        "may_be_negative": False,
        "minimum": 5,
        "maximum": 60,
        "site_aggregate": True,
        "may_be_partial": True,
    }
    yield_ = next(m for m in body if m["name"] == "btc_per_ehs_day")
    assert yield_["formula"] == METRICS["btc_per_ehs_day"].formula
    # A derived yield is no site aggregate, but it is partial when its inputs are; a treasury never is.
    assert (yield_["site_aggregate"], yield_["may_be_partial"]) == (False, True)
    held = next(m for m in body if m["name"] == "btc_held_end")
    assert (held["site_aggregate"], held["may_be_partial"]) == (False, False)
    cost = next(m for m in body if m["name"] == "power_cost_usd_kwh")
    assert (cost["may_be_negative"], cost["minimum"], cost["maximum"]) == (True, -1, 1)


def test_events_filtered_by_company_and_kind(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="evented")
    other = make_company(db_session, slug="elsewhere")
    # Dates no other data uses (the browser tests keep the demo events for the whole run).
    make_event(db_session, company_id=None, date=dt.date(2013, 1, 2), title="Everyone")
    make_event(db_session, company_id=company.id, date=dt.date(2013, 1, 5), title="Storm", kind="weather")
    make_event(db_session, company_id=other.id, date=dt.date(2013, 1, 6), title="Other", kind="weather")
    titles = [e["title"] for e in client.get("/api/v1/events?company=evented&to=2013-12").json()["data"]]
    assert titles == ["Everyone", "Storm"]
    weather = client.get("/api/v1/events?kind=weather&from=2013-01&to=2013-01").json()["data"]
    assert [e["title"] for e in weather] == ["Storm", "Other"]
    assert client.get("/api/v1/events?company=nobody").status_code == 404


def test_errors_on_api_paths_are_problem_documents(client: TestClient) -> None:
    for method, url, status in (
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/api/v1/companies/UPPER CASE", 400),
        ("DELETE", "/api/v1/companies", 405),
        ("GET", "/api/v1/companies?limit=zero", 400),
    ):
        response = client.request(method, url)
        assert response.status_code == status, url
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status and body["title"] and body["type"] == "about:blank"
        assert "Traceback" not in response.text and "<html" not in response.text


def test_huge_body_is_413(client: TestClient) -> None:
    response = client.put(
        "/api/v1/companies/x/monthly/2025-01",
        content=b"{" + b" " * 100_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_openapi_documents_only_the_api_with_problem_errors(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert all(p.startswith(("/api/", "/healthz", "/readyz")) for p in document["paths"])
    monthly = document["paths"]["/api/v1/companies/{slug}/monthly"]["get"]
    assert {"200", "304", "400", "404"} <= set(monthly["responses"])
    assert "text/csv" in monthly["responses"]["200"]["content"]
    assert "application/problem+json" in monthly["responses"]["404"]["content"]
    names = {p["name"] for p in monthly["parameters"]}
    assert {"from", "to", "metrics", "format", "shape", "limit", "cursor", "provenance"} <= names


def test_docs_page_loads_its_assets_from_this_server(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    import re

    for src in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        assert client.get(src).status_code == 200, src
