"""The overview page: server-rendered, charts as JSON in the page, no inline script, plotly from here."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.http.assets import plotly_version
from tests.factories import make_company, make_company_month, make_site, make_site_month
from tests.web_helpers import figures as page_figures


def test_the_cleanspark_overview_has_every_chart(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    response = client.get("/companies/cleanspark")
    assert response.status_code == 200
    assert "CleanSpark" in response.text
    figures = page_figures(response.text)
    assert set(figures) == {
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

    btc = figures["btc_mined"]
    total = next(t for t in btc["data"] if t["name"] == "Published company total")
    by_month = dict(zip(total["x"], total["y"], strict=True))
    assert by_month["2025-01-01"] == 626
    assert by_month["2025-02-01"] is None  # a gap, not a zero

    treasury = figures["treasury"]
    holdings = next(t for t in treasury["data"] if t["name"] == "Holdings at month end")
    assert dict(zip(holdings["x"], holdings["y"], strict=True))["2025-01-01"] == 10556

    # Illustrative site figures say so in their names.
    assert any("(illustrative)" in t["name"] for t in btc["data"])
    # Events are on every chart, the halving among them.
    for figure in figures.values():
        events = next(t for t in figure["data"] if t["name"] == "Events")
        assert any("halving" in text.lower() for text in events["hovertext"])


def test_home_lists_every_company_with_its_latest_release(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/").text
    assert page.count("<tr data-company=") == 10
    mara = page.split('data-company="mara"')[1].split("</tr>")[0]
    assert "September 2025" in mara and 'data-value="736"' in mara
    # The sparkline is inline SVG drawn on the server; CleanSpark's latest release (January 2026) has no BTC
    # mined figure: a gap, shown as such, with the month it belongs to.
    clsk = page.split('data-company="cleanspark"')[1].split("</tr>")[0]
    assert "January 2026" in clsk and "<svg" in clsk and 'class="spark-line"' in clsk
    assert 'data-value=""' in clsk


def test_no_inline_script_and_a_strict_csp(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    response = client.get("/companies/cleanspark")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, flags=re.S)
    assert scripts, "the page loads its scripts"
    for attrs, body in scripts:
        assert 'src="/static/' in attrs and body.strip() == ""
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert f"/static/vendor/plotly-{plotly_version()}.min.js" in response.text
    for path in ("/", "/league", "/sources"):
        assert "<script" not in client.get(path).text, path


def test_plotly_is_served_compressed_and_immutable(client: TestClient) -> None:
    url = f"/static/vendor/plotly-{plotly_version()}.min.js"
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["content-encoding"] == "gzip"
    # httpx decodes gzip for us; the body is plotly.js itself.
    assert b"plotly" in response.content[:2000].lower()
    raw = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content) / 2
    assert client.get("/static/vendor/plotly-0.0.1.min.js").status_code == 404


def test_company_list_when_several_companies(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="alpha", name="Alpha Mining")
    make_company(db_session, slug="beta", name="Beta Hash")
    response = client.get("/")
    assert response.status_code == 200
    assert "/companies/alpha" in response.text and "/companies/beta" in response.text


def test_unknown_company_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/companies/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_user_text_is_escaped(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="xss", name="<script>alert(1)</script>")
    make_company_month(db_session, company)
    response = client.get("/companies/xss")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_a_figure_reaches_the_browser_intact_whatever_its_text_holds(client: TestClient, db_session: Session) -> None:
    """The figure JSON sits in a single-quoted attribute unescaped: the characters HTML would read there are
    written as JSON escapes, so a name with quotes, ampersands and tags comes out of the attribute as it went in,
    and cannot end the attribute or open a tag."""
    name = """O'Neil & "Sons" </div><b onmouseover='x'>site</b>"""
    company = make_company(db_session, slug="quoted")
    site = make_site(db_session, company, name=name)
    make_company_month(db_session, company)
    make_site_month(db_session, site)
    response = client.get("/companies/quoted")
    assert response.status_code == 200
    names = {t.get("name") for figure in page_figures(response.text).values() for t in figure["data"]}
    assert any(n and n.startswith(name) for n in names), names
    assert "<b onmouseover" not in response.text and "O'Neil" not in response.text


def test_overview_query_count_does_not_grow_with_data(client: TestClient, db_session: Session, count_queries) -> None:
    def build(slug: str, months: int, sites: int) -> None:
        company = make_company(db_session, slug=slug)
        site_rows = [make_site(db_session, company) for _ in range(sites)]
        for i in range(months):
            period = dt.date(2015 + i // 12, i % 12 + 1, 1)
            make_company_month(db_session, company, period=period, btc_mined_total=Decimal(i + 1))
            for site in site_rows:
                make_site_month(db_session, site, period=period)

    build("small", 3, 1)
    build("large", 60, 4)
    counts = {}
    for slug in ("small", "large"):
        client.get(f"/companies/{slug}")  # warm caches that are per process, not per request
        count_queries.statements.clear()
        assert client.get(f"/companies/{slug}").status_code == 200
        counts[slug] = count_queries.count
    assert counts["small"] == counts["large"]
    assert counts["large"] <= 12
