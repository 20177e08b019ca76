"""The company page built around one release: cards of one month, "not reported", permalink, selector, site
filter, errors, caching, events in their month, the Atom feed; for totals-only companies and partial site data."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import demo
from app.store.models import Company
from app.store.queries.figure_history import record_published
from tests.factories import make_company, make_company_month, make_event, make_site, make_site_month
from tests.web_helpers import figures, trace

DEC, JAN = dt.date(2024, 12, 1), dt.date(2025, 1, 1)
PUBLISHED = dt.datetime(2025, 2, 3, 14, 0, tzinfo=dt.UTC)
URL = (
    "https://www.globenewswire.com/news-release/2025/02/03/1/0/en/Acme-Releases-January-2025-Bitcoin-Mining-Update.html"
)
NS = {"a": "http://www.w3.org/2005/Atom"}


def _cards(page: str) -> dict[str, str]:
    """metric -> the card's HTML."""
    section = re.search(r'<section class="kpis".*?</section>', page, flags=re.S)
    assert section, "no release cards"
    parts = re.findall(r'(<div class="kpi[^"]*" data-metric="([a-z_]+)".*?</div>)', section.group(0), flags=re.S)
    return {metric: html for html, metric in parts}


def _periods(page: str) -> set[str]:
    return set(re.findall(r'class="kpi[^"]*" data-metric="[a-z_]+" data-period="([0-9-]+)"', page))


def _value(card: str) -> str:
    found = re.search(r'class="kpi-value" data-value="([^"]*)"', card)
    assert found, card
    return found.group(1)


def _totals_only(session: Session, slug: str = "acme") -> Company:
    """A company that publishes totals only (no sites at all), two monthly releases."""
    company = make_company(session, slug=slug, name="Acme Mining")
    make_company_month(
        session,
        company,
        period=DEC,
        btc_mined_total=Decimal("668"),
        btc_held_end=Decimal("10512"),
        hashrate_avg_ehs=Decimal("39"),
        published_at=dt.datetime(2025, 1, 4, tzinfo=dt.UTC),
    )
    make_company_month(
        session,
        company,
        period=JAN,
        btc_mined_total=Decimal("626.00000000"),
        btc_held_end=Decimal("10556"),
        published_at=PUBLISHED,
        source_url=URL,
    )
    return company


def test_cards_are_all_of_the_latest_release(client: TestClient, db_session: Session) -> None:
    _totals_only(db_session)
    page = client.get("/companies/acme").text
    assert _periods(page) == {"2025-01"}
    cards = _cards(page)
    assert Decimal(_value(cards["btc_mined"])) == 626
    assert ">626 <" in cards["btc_mined"].replace("\n", " ")
    assert "10,556" in cards["btc_held_end"]
    assert "January 2025 release" in page
    assert "3 Feb 2025</time>" in page
    assert "source: <a" in page and "globenewswire.com: Acme Releases January 2025 Bitcoin Mining Update" in page
    assert "Data as of the January 2025 release, published" in html_lib.unescape(re.sub(r"<[^>]+>", "", page))
    assert '<link rel="alternate" type="application/atom+xml"' in page
    # Nothing of this company was revised: no card says so.
    assert "badge-rev" not in page


def test_a_figure_the_release_left_out_says_not_reported_with_the_last_value(
    client: TestClient, db_session: Session
) -> None:
    _totals_only(db_session)
    hashrate = _cards(client.get("/companies/acme").text)["hashrate_avg_ehs"]
    assert "not reported" in hashrate
    assert "last reported" in hashrate and "39.0 EH/s" in hashrate and "December 2024" in hashrate
    assert 'class="kpi-value" data-value' not in hashrate


def test_changes_and_the_reason_there_is_none(client: TestClient, db_session: Session) -> None:
    _totals_only(db_session)
    mined = _cards(client.get("/companies/acme").text)["btc_mined"]
    assert "\u22126.3%" in mined  # 626 against 668, with a real minus
    assert re.search(r'class="kpi-yoy na" title="no BTC mined reported for January 2024">n/a', mined)


def test_summary_sentences_on_the_page(client: TestClient, db_session: Session) -> None:
    company = _totals_only(db_session)
    make_event(db_session, company_id=company.id, date=dt.date(2025, 1, 20), title="Winter storm curtailment")
    page = client.get("/companies/acme").text
    summary = re.search(r'<div class="release-summary">(.*?)</div>', page, flags=re.S)
    assert summary
    text = html_lib.unescape(summary.group(1))
    assert "626 BTC mined, 6.3% fewer than December." in text
    assert "Holdings rose by 44 BTC to 10,556 BTC." in text
    assert "Events in January 2025: Winter storm curtailment (20 Jan)." in text


def test_release_permalink_and_selector(client: TestClient, db_session: Session) -> None:
    _totals_only(db_session)
    latest = client.get("/companies/acme")
    page = client.get("/companies/acme?release=2024-12")
    assert page.status_code == 200
    assert _periods(page.text) == {"2024-12"}
    assert "December 2024 release" in page.text
    assert Decimal(_value(_cards(page.text)["btc_mined"])) == 668
    assert '<option value="2024-12" selected>December 2024</option>' in page.text
    assert '<option value="2025-01">January 2025</option>' in page.text
    assert 'href="?release=2024-12"' in page.text  # the permalink
    assert "Latest release" in page.text and "Latest release" not in latest.text
    # Each release is its own cached answer.
    assert page.headers["etag"] != latest.headers["etag"]
    assert _periods(client.get("/companies/acme").text) == {"2025-01"}


def test_the_cards_follow_the_range(client: TestClient, db_session: Session) -> None:
    _totals_only(db_session)
    page = client.get("/companies/acme?to=2024-12").text
    assert _periods(page) == {"2024-12"}
    selector = re.search(r'<form class="release-picker".*?</form>', page, flags=re.S)
    assert selector and "2025-01" not in selector.group(0)
    assert '<input type="hidden" name="to" value="2024-12">' in selector.group(0)


def test_bad_or_unknown_release(client: TestClient, db_session: Session) -> None:
    _totals_only(db_session)
    for query, status, words in (
        ("release=2025-13", 400, "release"),
        ("release=soon", 400, "YYYY-MM"),
        ("release=2023-05", 404, "no figures for May 2023"),
        ("to=2024-12&release=2025-01", 400, "outside the months chosen"),
    ):
        response = client.get(f"/companies/acme?{query}")
        assert response.status_code == status, query
        assert words in response.text, query
        assert response.headers["content-type"].startswith("text/html")


def _partial_sites(session: Session) -> Company:
    """Site figures for January only, and only two of three operating sites reported."""
    company = make_company(session, slug="partial", name="Partial Mining")
    a = make_site(session, company, slug="alpha", name="Alpha", energized_on=dt.date(2024, 1, 1))
    b = make_site(session, company, slug="beta", name="Beta", energized_on=dt.date(2024, 1, 1))
    make_site(session, company, slug="gamma", name="Gamma", energized_on=dt.date(2024, 1, 1))
    make_company_month(
        session,
        company,
        period=DEC,
        btc_mined_total=Decimal("300"),
        btc_held_end=Decimal("1000"),
        hashrate_avg_ehs=Decimal("14.7"),
        published_at=PUBLISHED,
    )
    make_company_month(
        session, company, period=JAN, btc_mined_total=None, btc_held_end=Decimal("1010"), published_at=PUBLISHED
    )
    make_site_month(session, a, period=JAN, btc_mined=Decimal("40"), hashrate_avg_ehs=Decimal("2"))
    beta = make_site_month(
        session, b, period=JAN, btc_mined=Decimal("25"), hashrate_avg_ehs=Decimal("1.1"), published_at=PUBLISHED
    )
    record_published(session=session, rows=[beta], role="editor", reason=None)
    # Beta's BTC mined was corrected after the release: that figure's history says so, not its month's row.
    beta.btc_mined = Decimal("25.5")
    record_published(
        session=session,
        rows=[beta],
        role="editor",
        reason="site meter corrected",
        now=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )
    return company


def test_partial_site_figures_are_not_compared_and_only_revised_figures_say_so(
    client: TestClient, db_session: Session
) -> None:
    _partial_sites(db_session)
    page = client.get("/companies/partial").text
    assert _periods(page) == {"2025-01"}
    cards = _cards(page)
    assert Decimal(_value(cards["hashrate_avg_ehs"])) == Decimal("3.1")
    assert re.search(r'class="kpi-mom na" title="not comparable: January 2025 covers 2 of 3 sites"', page)
    assert "2 of 3 sites (Gamma not reported)" in cards["hashrate_avg_ehs"]
    # Beta's row was revised: the figures summed from sites say so, the company's holdings do not.
    assert "site meter corrected" in cards["btc_mined"]
    assert "badge-rev" not in cards["btc_held_end"]


def test_site_filter_shows_that_sites_figures(client: TestClient, db_session: Session) -> None:
    _partial_sites(db_session)
    page = client.get("/companies/partial?site=alpha").text
    cards = _cards(page)
    assert Decimal(_value(cards["btc_mined"])) == 40
    assert Decimal(_value(cards["hashrate_avg_ehs"])) == 2
    assert "btc_held_end" not in cards  # the company's treasury is no site's
    assert "Figures of Alpha only" in page
    assert '<input type="hidden" name="site" value="alpha">' in page
    both = _cards(client.get("/companies/partial?site=alpha&site=beta").text)
    assert Decimal(_value(both["btc_mined"])) == Decimal("65.5")
    # Alpha reported nothing in December: the site's December release card is "not reported".
    december = _cards(client.get("/companies/partial?site=alpha&release=2024-12").text)
    assert "not reported" in december["btc_mined"]


def test_events_sit_in_their_months_band(client: TestClient, db_session: Session) -> None:
    company = _totals_only(db_session)
    make_event(db_session, company_id=company.id, date=dt.date(2025, 1, 20), title="Late January event")
    figure = figures(client.get("/companies/acme").text)["btc_mined"]
    events = trace(figure, "Events")
    assert events["x"] == ["2025-01-01"]  # the month's own x, where January's bar is, not the 20th
    assert "Late January event" in events["hovertext"][0]
    (band,) = figure["layout"]["shapes"]
    assert band["type"] == "rect" and band["x0"] < "2025-01-01" < band["x1"] < "2025-01-20"


def test_atom_feed_of_releases_and_corrections(client: TestClient, db_session: Session) -> None:
    company = _totals_only(db_session)
    make_company_month(
        db_session,
        company,
        period=dt.date(2024, 11, 1),
        btc_mined_total=Decimal("600"),
        published_at=dt.datetime(2024, 12, 3, tzinfo=dt.UTC),
        revised_at=dt.datetime(2025, 1, 10, tzinfo=dt.UTC),
        revision_reason="restated",
    )
    response = client.get("/companies/acme/releases.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.find("a:id", NS).text == "tag:minedash,2025:acme/releases"
    assert root.find("a:title", NS).text and root.find("a:updated", NS).text
    assert root.find("a:link[@rel='self']", NS).get("href") == "http://testserver/companies/acme/releases.atom"
    entries = root.findall("a:entry", NS)
    ids = [e.find("a:id", NS).text for e in entries]
    assert ids == [
        "tag:minedash,2025:acme/release/2025-01",
        "tag:minedash,2025:acme/correction/2024-11/20250110T000000Z",
        "tag:minedash,2025:acme/release/2024-12",
        "tag:minedash,2025:acme/release/2024-11",
    ]
    for entry in entries:
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"a:{name}", NS).text, name
    first = entries[0]
    assert first.find("a:link", NS).get("href") == "http://testserver/companies/acme?release=2025-01"
    assert "626 BTC mined, 6.3% fewer than December." in first.find("a:summary", NS).text
    assert "restated" in entries[1].find("a:summary", NS).text
    assert client.get("/companies/nobody/releases.atom").status_code == 404


def test_demo_page_and_feed(client: TestClient, db_session: Session) -> None:
    demo.seed_demo(session=db_session)
    page = client.get("/companies/cleanspark").text
    periods = _periods(page)
    assert len(periods) == 1
    (month,) = periods
    assert f'data-release="{month}"' in page
    january = client.get("/companies/cleanspark?release=2025-01").text
    cards = _cards(january)
    assert _value(cards["btc_mined"]).startswith("626")
    assert ">626 <" in cards["btc_mined"].replace("\n", " ")
    assert ">10,556 <" in cards["btc_held_end"].replace("\n", " ")
    root = ET.fromstring(client.get("/companies/cleanspark/releases.atom").content)
    assert len(root.findall("a:entry", NS)) >= january.count("<option ")


def test_the_staff_preview_shows_the_draft_month_as_its_release(client: TestClient, db_session: Session) -> None:
    from starlette.requests import Request

    from app.http.templating import templates
    from app.store.models import RecordStatus
    from app.web.dashboard import build_overview_context

    company = _totals_only(db_session)
    make_company_month(
        db_session, company, period=dt.date(2025, 2, 1), btc_mined_total=Decimal("700"), status=RecordStatus.draft
    )
    assert _periods(client.get("/companies/acme").text) == {"2025-01"}
    context = build_overview_context(company, session=db_session, published_only=False, preview=True)
    request = Request({"type": "http", "method": "GET", "path": "/staff/preview", "headers": [], "query_string": b""})
    html = templates.get_template("dashboard/overview.html").render({**context, "request": request})
    assert _periods(html) == {"2025-02"}
    assert "February 2025 release" in html and "published" not in re.search(
        r'<h2 id="release-title".*?</h2>', html, re.S
    ).group(0)


def test_a_company_without_releases_has_an_empty_feed_and_page(client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="quiet", name="Quiet Co")
    root = ET.fromstring(client.get("/companies/quiet/releases.atom").content)
    assert root.findall("a:entry", NS) == [] and root.find("a:updated", NS).text
    page = client.get("/companies/quiet")
    assert page.status_code == 200 and "No published figures yet" in page.text
    assert client.get("/companies/quiet?release=2025-01").status_code == 404
