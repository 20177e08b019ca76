"""Series reads for analysts: whole by default, never cut, one vocabulary, dense months, frames, readable errors,
CORS for public reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.domain.reports import add_months
from app.schemas.csv_months import parse_csv
from tests.factories import make_company, make_company_month, make_network_month, make_site, make_site_month


def _exact(response) -> dict:
    assert response.status_code == 200, response.text
    return json.loads(response.content, parse_float=Decimal)


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def _long_company(db_session: Session, slug: str = "decade", months: int = 300, step: int = 3) -> None:
    company = make_company(db_session, slug=slug)
    for m in range(0, months, step):
        make_company_month(db_session, company, period=add_months(dt.date(2010, 1, 1), m), btc_mined_total=Decimal(m))


def test_a_series_comes_whole_in_json_and_csv(client: TestClient, db_session: Session) -> None:
    _long_company(db_session)
    body = _exact(client.get("/api/v1/companies/decade/monthly?metrics=btc_mined_total"))
    assert body["count"] == len(body["data"]) == 298  # 2010-01 … 2034-10, every calendar month
    assert (body["from"], body["to"]) == ("2010-01", "2034-10")  # the series', not a page's
    assert body["next"] is None and body["limit"] is None
    rows = _csv(client.get("/api/v1/companies/decade/monthly?format=csv&metrics=btc_mined_total"))
    assert len(rows) == 298 and rows[0]["company"] == "decade"
    assert [r["btc_mined_total"] for r in rows[:4]] == ["0", "", "", "3"]  # gaps are empty, not zero


def test_a_csv_page_that_is_not_the_last_is_refused(client: TestClient, db_session: Session) -> None:
    # 1,000 months of btc_mined_total (2010-01 to 2093-04: the API answers for months up to 2100).
    _long_company(db_session, months=1000, step=1)
    url = "/api/v1/companies/decade/monthly?format=csv&shape=long&metrics=btc_mined_total,btc_mined"
    refused = client.get(url)
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert "add limit/cursor" in refused.json()["detail"] and "shape=" in refused.json()["detail"]
    # Asked for pages, it pages: every figure once, the next page in the Link header.
    rows, next_url = [], url + "&limit=700"
    while next_url:
        response = client.get(next_url)
        rows += _csv(response)
        link = response.headers.get("link")
        next_url = link[1 : link.index(">")] if link else None
    assert len(rows) == 2000 and len({(r["period"], r["metric"]) for r in rows}) == 2000
    # JSON in the long shape pages too, with `next`.
    first = _exact(client.get(url.replace("format=csv", "format=json")))
    assert first["count"] == first["limit"] == 1000 and first["next"]


def test_long_shape_in_json_equals_the_csv(client: TestClient, db_session: Session) -> None:
    _long_company(db_session, months=24)
    url = "/api/v1/companies/decade/monthly?shape=long&metrics=btc_mined_total&provenance=true"
    body = _exact(client.get(url))
    rows = _csv(client.get(url + "&format=csv"))
    assert [(r["period"], r["metric"], Decimal(r["value"])) for r in rows] == [
        (d["period"], d["metric"], d["value"]) for d in body["data"]
    ]
    assert set(body["data"][0]) == {
        "period",
        "company",
        "metric",
        "value",
        "unit",
        "mom_pct",
        "yoy_pct",
        "source_url",
        "is_estimate",
        "is_illustrative",
        "revised",
        "coverage",
    }


def test_flat_changes_and_provenance_columns(client: TestClient, db_session: Session) -> None:
    from app.domain.actors import Actor
    from app.schemas.months import CompanyMonthCreate
    from app.store.queries.months import save_company_month

    company = make_company(db_session, slug="flat")
    editor = Actor.user(3, "ed@example.com", "editor")
    for m, btc in enumerate(("100", "109")):
        save_company_month(
            session=db_session,
            company=company,
            period=dt.date(2025, 1 + m, 1),
            data=CompanyMonthCreate(btc_mined_total=btc, source_url="https://example.com/r"),
            actor=editor,
            expected_version=None,
            publish=True,
        )
    # February's total is corrected: that figure is revised.
    save_company_month(
        session=db_session,
        company=company,
        period=dt.date(2025, 2, 1),
        data=CompanyMonthCreate(btc_mined_total="110", source_url="https://example.com/r"),
        actor=editor,
        expected_version=1,
        reason="restated",
    )
    url = "/api/v1/companies/flat/monthly?metrics=btc_mined_total&changes=flat&provenance=true"
    month = _exact(client.get(url))["data"][1]
    assert month["btc_mined_total_mom_pct"] == Decimal(10) and "changes" not in month
    row = _csv(client.get(url + "&format=csv"))[1]
    assert row["btc_mined_total_mom_pct"] == "10"
    assert row["btc_mined_total__source_url"] == "https://example.com/r"
    assert (row["btc_mined_total__estimate"], row["btc_mined_total__revised"]) == ("false", "true")
    assert row["revised"] == "true"  # a boolean, in every CSV
    # When the correction was published, with its zone, on SQLite too.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", row["revised_at"]), row["revised_at"]


def test_site_and_network_series_are_calendar_dense(client: TestClient, db_session: Session) -> None:
    site = make_site(db_session, make_company(db_session, slug="gappy"), slug="only")
    make_site_month(db_session, site, period=dt.date(2025, 1, 1))
    make_site_month(db_session, site, period=dt.date(2025, 4, 1))
    rows = _exact(client.get("/api/v1/companies/gappy/sites/only/monthly?metrics=btc_mined"))["data"]
    assert [(r["period"], r["btc_mined"]) for r in rows] == [
        ("2025-01", Decimal("100.5")),
        ("2025-02", None),
        ("2025-03", None),
        ("2025-04", Decimal("100.5")),
    ]
    make_network_month(db_session, period=dt.date(2011, 1, 1))
    make_network_month(db_session, period=dt.date(2011, 3, 1))
    network = _exact(client.get("/api/v1/network/monthly?from=2011-01&to=2011-03"))["data"]
    assert [(r["period"], r["network_hashrate_avg_ehs"]) for r in network] == [
        ("2011-01", 785),
        ("2011-02", None),
        ("2011-03", 785),
    ]


def test_network_figures_carry_their_own_provenance(client: TestClient, db_session: Session) -> None:
    make_network_month(
        db_session,
        period=dt.date(2011, 5, 1),
        network_difficulty_t=Decimal("1.5"),
        source_url="https://example.com/hashrate",
        figure_sources={"network_difficulty_t": {"source_url": "https://example.com/difficulty", "is_estimate": True}},
    )
    url = "/api/v1/network/monthly?from=2011-05&to=2011-05&provenance=true"
    sources = _exact(client.get(url))["data"][0]["sources"]
    assert sources["network_hashrate_avg_ehs"]["source_url"] == "https://example.com/hashrate"
    assert sources["network_difficulty_t"] == {
        "source_url": "https://example.com/difficulty",
        "is_estimate": True,
        "is_illustrative": False,
    }
    row = _csv(client.get(url + "&format=csv"))[0]
    assert row["network_difficulty_t__source_url"] == "https://example.com/difficulty"
    assert row["network_difficulty_t__estimate"] == "true"
    assert row["network_hashrate_avg_ehs__estimate"] == "false"


def test_frame_lists_every_company_with_provenance(client: TestClient, db_session: Session) -> None:
    a = make_company(db_session, slug="frame-a")
    b = make_company(db_session, slug="frame-b")
    make_company(db_session, slug="frame-c")  # published nothing: a null, not a zero and not absent
    make_company_month(db_session, a, period=dt.date(2024, 1, 1), btc_mined_total=Decimal(50))
    make_company_month(db_session, a, period=dt.date(2025, 1, 1), btc_mined_total=Decimal(100), source_url="https://a")
    make_company_month(db_session, b, period=dt.date(2025, 1, 1), btc_mined_total=Decimal(7), is_estimate=True)
    body = _exact(client.get("/api/v1/frames/btc_mined_total/2025-01"))
    got = {r["company"]: r for r in body["data"] if r["company"].startswith("frame-")}
    assert (got["frame-a"]["value"], got["frame-a"]["yoy_pct"], got["frame-a"]["source_url"]) == (100, 100, "https://a")
    assert (got["frame-b"]["value"], got["frame-b"]["is_estimate"]) == (7, True)
    assert got["frame-c"]["value"] is None
    assert body["unit"] == "BTC" and body["period"] == "2025-01"
    rows = _csv(client.get("/api/v1/frames/btc_mined_total/2025-01?format=csv"))
    assert {r["company"]: r["value"] for r in rows if r["company"].startswith("frame-")} == {
        "frame-a": "100",
        "frame-b": "7",
        "frame-c": "",
    }
    missing = client.get("/api/v1/frames/nosuch/2025-01")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "metric: unknown metric 'nosuch' (see /api/v1/metrics)"


def test_cross_company_monthly_has_a_company_column(client: TestClient, db_session: Session) -> None:
    for slug, btc in (("cross-a", "1"), ("cross-b", "2")):
        company = make_company(db_session, slug=slug)
        make_company_month(db_session, company, period=dt.date(2025, 2, 1), btc_mined_total=Decimal(btc))
    url = "/api/v1/monthly?companies=cross-b,cross-a&metrics=btc_mined_total&shape=long&format=csv"
    rows = _csv(client.get(url))
    assert [(r["period"], r["company"], r["metric"], r["value"]) for r in rows] == [
        ("2025-02", "cross-a", "btc_mined_total", "1"),
        ("2025-02", "cross-b", "btc_mined_total", "2"),
    ]
    wide = _exact(client.get("/api/v1/monthly?companies=cross-a,cross-b&metrics=btc_mined_total"))
    assert [(r["company"], r["btc_mined_total"]) for r in wide["data"]] == [("cross-a", 1), ("cross-b", 2)]
    assert wide["companies"] == ["cross-a", "cross-b"]
    unknown = client.get("/api/v1/monthly?companies=cross-a,nobody")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["path"] == "query.companies"


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        ("from=2025-1", "query.from", "from: expected YYYY-MM, got 2025-1"),
        ("to=2025-13", "query.to", "to: expected YYYY-MM, got 2025-13"),
        ("from=2008-12", "query.from", "from: 2008-12 is before bitcoin existed (2009-01 at the earliest)"),
        ("metrics=nosuch", "query.metrics", "metrics: unknown metric 'nosuch' (see /api/v1/metrics)"),
        ("limit=0", "query.limit", "limit: expected at least 1, got 0"),
        ("limit=lots", "query.limit", "limit: expected a whole number, got lots"),
        ("shape=tall", "query.shape", "shape: expected 'wide' or 'long', got tall"),
        ("provenance=maybe", "query.provenance", "provenance: expected true or false, got maybe"),
        ("cursor=x", "query.cursor", "cursor: expected the `cursor` of a page's `next` link, got x"),
    ],
)
def test_parameter_errors_name_the_parameter_in_words(client: TestClient, query: str, path: str, message: str) -> None:
    response = client.get(f"/api/v1/network/monthly?{query}" if "metrics" not in query else f"/api/v1/monthly?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [{"path": path, "message": message}]
    assert body["detail"] == message
    assert "^" not in response.text and "(?" not in response.text  # no regular expression


def test_cors_for_public_reads_only(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="corsy")
    origin = {"Origin": "https://notebook.example"}
    read = client.get("/api/v1/companies/corsy", headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "ETag" in read.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in read.headers
    again = client.get("/api/v1/companies/corsy", headers={**origin, "If-None-Match": read.headers["etag"]})
    assert again.status_code == 304 and again.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/api/v1/companies/corsy",
        headers={**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match"},
    )
    assert preflight.status_code == 204 and "If-None-Match" in preflight.headers["access-control-allow-headers"]
    write_preflight = client.options(
        "/api/v1/companies/corsy", headers={**origin, "Access-Control-Request-Method": "PUT"}
    )
    assert "access-control-allow-origin" not in write_preflight.headers
    write = client.put("/api/v1/companies/corsy", json={"name": "x"}, headers={**origin, "Cookie": "a=b"})
    assert write.status_code == 403 and "access-control-allow-origin" not in write.headers
    page = client.get("/companies/corsy", headers=origin)
    assert "access-control-allow-origin" not in page.headers


def test_import_reads_bare_names_units_and_ignores_reading_columns() -> None:
    content = (
        "period,company,site,btc_mined,hashrate_avg_ehs (PH/s),btc_mined__source_url,btc_mined__estimate,"
        "btc_mined__illustrative,btc_mined__revised,btc_mined_mom_pct,btc_mined_yoy_pct,revised_at\n"
        "2025-01,acme,alpha,12.5,1500,https://x,false,false,false,3,4,2025-02-01T00:00:00+00:00\n"
    )
    parsed = parse_csv(content.encode())
    assert parsed.errors == [] and parsed.rows[0].errors == []
    assert parsed.rows[0].values == {"btc_mined": Decimal("12.5"), "hashrate_avg_ehs": Decimal("1.5")}
    assert "btc_mined__source_url" in parsed.ignored and "btc_mined_mom_pct" in parsed.ignored


@pytest.mark.parametrize(
    "query", ["format=csv", "format=csv&shape=long", "format=csv&provenance=true&header=units&changes=flat"]
)
def test_api_site_csv_imports_back_unchanged(client: TestClient, db_session: Session, query: str) -> None:
    from app.store.queries.imports import plan_import

    company = make_company(db_session, slug="roundtrip")
    site = make_site(db_session, company, slug="alpha")
    make_site_month(db_session, site, period=dt.date(2025, 1, 1))
    make_site_month(db_session, site, period=dt.date(2025, 4, 1), source_url="https://example.com/april")
    exported = client.get(f"/api/v1/companies/roundtrip/site-monthly?{query}").content
    plan = plan_import(session=db_session, company=company, parsed=parse_csv(exported))
    # The calendar-dense export's empty months (February, March) are gaps, not new empty months: listed as
    # unchanged, like an unfilled template row. The long shape has no row for them.
    unchanged = 2 if "shape=long" in query else 4
    assert plan.counts == {"new": 0, "changed": 0, "unchanged": unchanged, "error": 0}


@pytest.mark.parametrize(
    ("query", "stated"),
    [
        ("", True),  # wide JSON: nested changes
        ("&changes=flat", True),
        ("&changes=none", False),
        ("&format=csv", False),  # a wide CSV states changes only when asked
        ("&format=csv&changes=flat", True),
        ("&shape=long", True),
        ("&shape=long&format=csv", True),
        ("&shape=long&changes=none", False),
    ],
)
def test_changes_are_worked_out_exactly_where_the_answer_states_them(
    client: TestClient, db_session: Session, query: str, stated: bool
) -> None:
    # Every month, so each has a month-over-month change: 0 → 1 → 2 … (from 1 to 2 is +100%).
    _long_company(db_session, months=3, step=1)
    response = client.get(f"/api/v1/companies/decade/monthly?metrics=btc_mined_total{query}")
    assert response.status_code == 200, response.text
    if "format=csv" in query:
        found = any(cell == "100" for row in _csv(response) for cell in row.values())
    else:
        found = re.search(r'mom_pct":100[,}]', response.text) is not None
    assert found is stated, response.text[:400]
