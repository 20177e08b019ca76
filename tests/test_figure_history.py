"""Per-figure provenance and history: a correction revises only the figure it changed; every published value is
listed with when, by which role (never a person), the reason as typed and its source."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.domain.charts.points import company_points, site_points
from app.domain.figure_history import publisher_of
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.store.models import Company, FigureRevision
from app.store.queries import load_company_series
from app.store.queries.month_release import publish_month, unpublish_month
from app.store.queries.months import get_company_month, save_company_month, save_site_month
from tests.factories import make_company, make_site
from tests.test_api_writes import _auth, _token

EDITOR = Actor.user(11, "ed.itor@example.com", "editor")
ADMIN = Actor.user(12, "the.admin@example.com", "admin")
JAN = dt.date(2025, 1, 1)
RELEASE = "https://investors.cleanspark.com/news/2025-02-03-january-update"
REASON = "Treasury Figure Restated In The 10-Q (see note 4)"


def _publish_january(session: Session, company: Company) -> None:
    data = CompanyMonthCreate(btc_mined_total="650", btc_held_end="10000", btc_sold="0", source_url=RELEASE)
    save_company_month(session=session, company=company, period=JAN, data=data, actor=EDITOR, expected_version=None)
    publish_month(session=session, company=company, period=JAN, actor=ADMIN)


def _correct_held(session: Session, company: Company, held: str, reason: str = REASON) -> None:
    row = get_company_month(company, JAN, session=session)
    assert row is not None
    data = CompanyMonthCreate(btc_mined_total="650", btc_held_end=held, btc_sold="0", source_url=RELEASE)
    save_company_month(
        session=session,
        company=company,
        period=JAN,
        data=data,
        actor=EDITOR,
        expected_version=row.version,
        reason=reason,
    )


def _exact(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)


def test_correcting_one_figure_revises_only_that_figure(db_session: Session) -> None:
    company = make_company(db_session, slug="solo")
    _publish_january(db_session, company)
    _correct_held(db_session, company, "10050")

    _, views = load_company_series(company, session=db_session, start=JAN, end=JAN)
    held, mined = views[0].sources["btc_held_end"], views[0].sources["btc_mined_total"]
    assert [(r.old, r.new, r.role, r.reason) for r in held.revisions] == [
        (Decimal("10000"), Decimal("10050"), "editor", REASON)
    ]
    assert mined.revisions == ()
    # The hover says so on the corrected figure only, with the reason as typed (capitals kept).
    note = company_points(views, "btc_held_end")[0].revised
    assert note is not None and REASON in note and "10,000" in note and "10,050" in note and "by editor" in note
    assert company_points(views, "btc_mined_total")[0].revised is None
    assert company_points(views, "btc_sold")[0].revised is None


def test_api_provenance_marks_the_corrected_figure_and_names_the_publisher(
    client: TestClient, db_session: Session
) -> None:
    company = make_company(db_session, slug="solo")
    _publish_january(db_session, company)
    _correct_held(db_session, company, "10050")

    body = _exact(client.get("/api/v1/companies/solo/monthly?provenance=true&from=2025-01&to=2025-01"))
    sources = body["data"][0]["sources"]
    assert sources["btc_held_end"]["revised"] is True
    assert sources["btc_mined_total"]["revised"] is False
    assert "revisions" not in sources["btc_mined_total"]
    [revision] = sources["btc_held_end"]["revisions"]
    assert (revision["from"], revision["to"], revision["by"], revision["reason"]) == (10000, 10050, "editor", REASON)
    assert sources["btc_mined_total"]["publisher"] == "investors.cleanspark.com"

    wide = client.get("/api/v1/companies/solo/monthly?provenance=true&format=csv&from=2025-01&to=2025-01").text
    header, row = wide.splitlines()[:2]
    cells = dict(zip(header.split(","), row.split(","), strict=False))
    assert (cells["btc_held_end__revised"], cells["btc_mined_total__revised"]) == ("true", "false")


def test_history_lists_every_value_with_role_time_reason_and_source(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="solo")
    _publish_january(db_session, company)
    _correct_held(db_session, company, "10050")
    _correct_held(db_session, company, "10040", reason="second look: rounding")

    response = client.get("/api/v1/companies/solo/monthly/2025-01/history")
    assert response.status_code == 200, response.text
    assert "@" not in response.text  # roles, never e-mail addresses
    body = _exact(response)
    figures = {f["metric"]: f for f in body["figures"]}
    held = figures["btc_held_end"]
    assert held["revised"] is True and figures["btc_mined_total"]["revised"] is False
    assert [(v["value"], v["by"], v["reason"]) for v in held["values"]] == [
        (10000, "admin", None),
        (10050, "editor", REASON),
        (10040, "editor", "second look: rounding"),
    ]
    assert [v["superseded_at"] is None for v in held["values"]] == [False, False, True]
    assert held["values"][0]["superseded_at"] == held["values"][1]["published_at"]
    assert all(v["source_url"] == RELEASE and v["publisher"] == "investors.cleanspark.com" for v in held["values"])


def test_site_history_through_the_api_names_the_token_role(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="writer")
    make_site(db_session, company, slug="north")
    headers = _auth(_token(db_session))
    url = "/api/v1/companies/writer/sites/north/monthly/2025-03"
    first = client.put(url + "?publish=true", json={"btc_mined": "40", "uptime_pct": "97"}, headers=headers)
    assert first.status_code == 201, first.text
    fixed = client.put(
        url,
        json={"btc_mined": "41.5", "uptime_pct": "97", "reason": "Pool Payout Counted Late"},
        headers={**headers, "If-Match": first.headers["etag"]},
    )
    assert fixed.status_code == 200, fixed.text

    body = _exact(client.get(url + "/history"))
    assert body["site"] == "north"
    figures = {f["metric"]: f for f in body["figures"]}
    assert [(v["value"], v["by"], v["reason"]) for v in figures["btc_mined"]["values"]] == [
        (40, "token", None),
        (Decimal("41.5"), "token", "Pool Payout Counted Late"),
    ]
    assert figures["uptime_pct"]["revised"] is False
    # The site's series marks only the corrected figure, in the API and the chart hover.
    sites = _exact(client.get("/api/v1/companies/writer/sites/north/monthly?provenance=true"))
    assert sites["data"][0]["sources"]["btc_mined"]["revised"] is True
    assert sites["data"][0]["sources"]["uptime_pct"]["revised"] is False
    _, views = load_company_series(company, session=db_session)
    assert "Pool Payout Counted Late" in (site_points(views, "btc_mined", "north")[0].revised or "")
    assert site_points(views, "uptime_pct", "north")[0].revised is None


def test_history_answers_unknown_and_malformed_with_problems(client: TestClient, db_session: Session) -> None:
    make_site(db_session, make_company(db_session, slug="solo"), slug="north")
    assert client.get("/api/v1/companies/nobody/monthly/2025-01/history").status_code == 404
    missing_site = client.get("/api/v1/companies/solo/sites/south/monthly/2025-01/history")
    assert missing_site.status_code == 404 and "south" in missing_site.json()["detail"]
    bad = client.get("/api/v1/companies/solo/monthly/2025-13/history")
    assert bad.status_code == 400 and "2025-13" in bad.json()["detail"]
    never = _exact(client.get("/api/v1/companies/solo/monthly/2025-01/history"))
    assert never["figures"] == [] and never["count"] == 0


def test_withdrawn_and_republished_figures_keep_their_history(db_session: Session) -> None:
    company = make_company(db_session, slug="solo")
    site = make_site(db_session, company, slug="north")
    save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="5"),
        actor=EDITOR,
        expected_version=None,
    )
    _publish_january(db_session, company)
    unpublish_month(session=db_session, company=company, period=JAN, actor=ADMIN, reason="wrong release")
    open_entries = db_session.scalars(select(FigureRevision).where(FigureRevision.superseded_at.is_(None))).all()
    assert open_entries == []
    publish_month(session=db_session, company=company, period=JAN, actor=ADMIN, reason="right release")
    entries = db_session.scalars(
        select(FigureRevision).where(FigureRevision.entity_kind == "site").order_by(FigureRevision.id)
    ).all()
    assert [(e.value, e.actor_role, e.reason, e.superseded_at is None) for e in entries] == [
        (Decimal("5"), "admin", None, False),
        (Decimal("5"), "admin", "right release", True),
    ]


def test_publisher_prefers_the_title_then_the_host() -> None:
    assert publisher_of("https://investors.cleanspark.com/news/x", None) == "investors.cleanspark.com"
    assert publisher_of("https://www.globenewswire.com/news-release/1", None) == "globenewswire.com"
    assert publisher_of("https://www.globenewswire.com/x", "CleanSpark January 2025 update") == (
        "CleanSpark January 2025 update"
    )
    assert publisher_of(None, None) is None


def test_a_csv_import_correction_is_recorded_per_figure(
    editor_client: TestClient, client: TestClient, db_session: Session
) -> None:
    from tests.test_import import HEADER, _confirm, _upload

    company = make_company(db_session, slug="acme", name="Acme Mining")
    for slug in ("alpha", "beta"):
        make_site(db_session, company, slug=slug)
    db_session.commit()
    dry = _upload(editor_client, HEADER + "2025-01,alpha,10.5,2,,,,\n2025-01,,,,31,,,\n")
    assert _confirm(editor_client, dry.text, publish="on").status_code == 303
    again = _upload(editor_client, HEADER + "2025-01,alpha,12,2,,,,\n")
    assert _confirm(editor_client, again.text, reason="Pool Statement Arrived").status_code == 303

    body = _exact(client.get("/api/v1/companies/acme/sites/alpha/monthly/2025-01/history"))
    figures = {f["metric"]: f for f in body["figures"]}
    assert [(v["value"], v["by"], v["reason"]) for v in figures["btc_mined"]["values"]] == [
        (Decimal("10.5"), "editor", None),
        (12, "editor", "Pool Statement Arrived"),
    ]
    assert figures["hashrate_avg_ehs"]["revised"] is False
    company_figures = _exact(client.get("/api/v1/companies/acme/monthly/2025-01/history"))["figures"]
    assert [(f["metric"], f["revised"]) for f in company_figures] == [("btc_mined_total", False)]


def test_the_page_marks_only_the_corrected_figure_and_names_its_source(client: TestClient, db_session: Session) -> None:
    import re

    company = make_company(db_session, slug="solo")
    _publish_january(db_session, company)
    _correct_held(db_session, company, "10050")
    page = client.get("/companies/solo").text
    cards = dict(re.findall(r'<div class="kpi[^"]*" data-metric="(\w+)"[^>]*>(.*?)</div>', page, re.S))
    assert "badge-rev" in cards["btc_held_end"] and REASON in cards["btc_held_end"]
    assert "badge-rev" not in cards["btc_mined"]
    assert ">investors.cleanspark.com</a>" in cards["btc_mined"]
    assert ">source</a>" not in page
