"""The monthly entry pages, as an editor uses them: form, validation, drafts, publish, conflicts, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.store.models import AuditEntry, Company, CompanyMonth, RecordStatus, Site, SiteMonth
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD, make_company, make_company_month, make_site, make_user

URL = "/staff/companies/acme/months/2025-01"


class _FormFields(HTMLParser):
    """The fields a browser would submit from the form with id `month-form` (text as shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = a.get("id") == "month-form"
        if not self._inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on")
            elif a.get("type") != "submit":
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields[self._textarea or ""] = ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


def form_fields(html: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


@pytest.fixture
def acme(db_session: Session) -> tuple[Company, Site, Site, Site]:
    company = make_company(db_session, slug="acme", name="Acme Mining")
    sites = tuple(make_site(db_session, company, slug=s, name=s.title()) for s in ("alpha", "beta", "gamma"))
    db_session.commit()
    return (company, *sites)  # type: ignore[return-value]


def _filled(client: TestClient, sites: tuple[Site, ...], **extra: str) -> dict[str, str]:
    fields = form_fields(client.get(URL).text)
    for i, site in enumerate(sites, start=1):
        fields[f"site-{site.id}-btc_mined"] = f"{i}0.5"
        fields[f"site-{site.id}-hashrate_avg_ehs"] = f"{i}"
        fields[f"site-{site.id}-hashrate_deployed_ehs"] = f"{i}.5"
    fields["company-btc_mined_total"] = "62"
    fields.update(extra)
    return fields


def _site_rows(db_session: Session, company: Company) -> list[SiteMonth]:
    db_session.expire_all()
    stmt = select(SiteMonth).join(Site).where(Site.company_id == company.id).order_by(SiteMonth.site_id)
    return list(db_session.scalars(stmt))


def _audit_count(db_session: Session, company: Company) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.company_id == company.id))


def test_anonymous_visitors_are_sent_to_login(client: TestClient, acme) -> None:
    for method in ("get", "post"):
        response = getattr(client, method)(URL, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_form_has_a_row_per_site_and_the_company_fields(editor_client: TestClient, acme) -> None:
    _company, *sites = acme
    response = editor_client.get(URL)
    assert response.status_code == 200
    fields = form_fields(response.text)
    for site in sites:
        for name in ("btc_mined", "fleet_efficiency_jth", "power_credits_usd", "note", "source_url", "version"):
            assert f"site-{site.id}-{name}" in fields
    for name in ("btc_mined_total", "btc_held_end", "btc_sold", "btc_sold_proceeds_usd"):
        assert f"company-{name}" in fields
    assert fields["hashrate_unit"] == "EH/s"


def test_bad_value_keeps_everything_and_saves_nothing(editor_client: TestClient, db_session: Session, acme) -> None:
    company, alpha, beta, gamma = acme
    fields = _filled(editor_client, (alpha, beta, gamma), action="save")
    fields[f"site-{beta.id}-btc_mined"] = "12,5x"
    fields[f"site-{gamma.id}-fleet_efficiency_jth"] = "70"
    fields[f"site-{alpha.id}-note"] = "<script>alert(1)</script>"
    response = editor_client.post(URL, data=fields)
    assert response.status_code == 422
    html = response.text
    assert f'id="site-{beta.id}-btc_mined-error">read “12,5x”: not a number; expected a number in BTC' in html
    assert f'id="site-{gamma.id}-fleet_efficiency_jth-error">Fleet efficiency must be between 5 and 60 J/TH<' in html
    again = form_fields(html)
    assert again[f"site-{beta.id}-btc_mined"] == "12,5x"
    assert again[f"site-{alpha.id}-btc_mined"] == "10.5"
    assert again["company-btc_mined_total"] == "62"
    assert again[f"site-{alpha.id}-note"] == "<script>alert(1)</script>"
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _site_rows(db_session, company) == [] and _audit_count(db_session, company) == 0


def test_average_hashrate_above_deployed_is_refused(editor_client: TestClient, db_session: Session, acme) -> None:
    company, alpha, beta, gamma = acme
    fields = _filled(editor_client, (alpha, beta, gamma), action="save")
    fields[f"site-{alpha.id}-hashrate_avg_ehs"] = "9"
    response = editor_client.post(URL, data=fields)
    assert response.status_code == 422
    assert "above the deployed hashrate" in response.text
    assert _site_rows(db_session, company) == []


def test_save_draft_then_publish_reaches_investors(
    editor_client: TestClient, client: TestClient, db_session: Session, acme
) -> None:
    company, *sites = acme
    response = editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="save"), follow_redirects=False)
    assert response.status_code == 303 and "saved=draft" in response.headers["location"]
    rows = _site_rows(db_session, company)
    assert [r.btc_mined for r in rows] == [Decimal("10.5"), Decimal("20.5"), Decimal("30.5")]
    assert all(r.status == RecordStatus.draft and r.updated_by == editor_client.user.email for r in rows)  # type: ignore[attr-defined]
    page = editor_client.get(response.headers["location"]).text
    assert 'id="total-sites-btc">61.5<' in page and 'id="total-unallocated">0.5<' in page

    # A draft is nowhere for investors: not on the overview, not in the API.
    api = client.get("/api/v1/companies/acme/monthly?from=2025-01&to=2025-01").json()
    assert api["data"][0]["btc_mined_total"] is None
    assert "No published figures yet" in client.get("/companies/acme").text

    published = editor_client.post(f"{URL}/publish", follow_redirects=False)
    assert published.status_code == 303
    api = client.get("/api/v1/companies/acme/monthly?from=2025-01&to=2025-01").json()
    assert api["data"][0]["btc_mined_total"] == 62
    assert "No published figures yet" not in client.get("/companies/acme").text


def test_preview_includes_drafts(editor_client: TestClient, acme) -> None:
    _company, *sites = acme
    editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="save"))
    preview = editor_client.get(f"{URL}/preview")
    assert preview.status_code == 200 and "Preview: includes draft figures" in preview.text
    assert "No published figures yet" not in preview.text
    assert preview.headers["cache-control"] == "no-store"


def test_hashrate_in_phs_is_stored_in_ehs(editor_client: TestClient, db_session: Session, acme) -> None:
    company, alpha, beta, gamma = acme
    fields = _filled(editor_client, (alpha, beta, gamma), action="save", hashrate_unit="PH/s")
    fields[f"site-{alpha.id}-hashrate_avg_ehs"] = "1234.5"
    fields[f"site-{alpha.id}-hashrate_deployed_ehs"] = "1500"
    fields[f"site-{beta.id}-hashrate_avg_ehs"] = "2000"
    fields[f"site-{beta.id}-hashrate_deployed_ehs"] = "2500"
    fields[f"site-{gamma.id}-hashrate_avg_ehs"] = "3000"
    fields[f"site-{gamma.id}-hashrate_deployed_ehs"] = "3500.0001"
    response = editor_client.post(URL, data=fields)
    assert response.status_code == 422 and "at most 3 decimal places in PH/s" in response.text
    fields[f"site-{gamma.id}-hashrate_deployed_ehs"] = "3500"
    assert editor_client.post(URL, data=fields, follow_redirects=False).status_code == 303
    rows = _site_rows(db_session, company)
    assert rows[0].hashrate_avg_ehs == Decimal("1.2345") and rows[2].hashrate_deployed_ehs == Decimal("3.5")


def test_correcting_a_published_month_needs_a_reason(
    editor_client: TestClient, client: TestClient, db_session: Session, acme
) -> None:
    company, *sites = acme
    editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="publish"))
    fields = form_fields(editor_client.get(URL).text)
    fields["company-btc_mined_total"] = "63"
    fields["action"] = "publish"
    response = editor_client.post(URL, data=fields)
    assert response.status_code == 422 and 'id="reason-error"' in response.text
    fields["reason"] = "Total restated in the quarterly report"
    response = editor_client.post(URL, data=fields, follow_redirects=False)
    assert response.status_code == 303 and "saved=correction" in response.headers["location"]
    db_session.expire_all()
    row = db_session.scalar(select(CompanyMonth).where(CompanyMonth.company_id == company.id))
    assert row is not None and row.btc_mined_total == 63 and row.revision_reason.startswith("Total restated")
    api = client.get("/api/v1/companies/acme/monthly?from=2025-01&to=2025-01").json()["data"][0]
    assert api["revised"] is True and api["revision_reason"] == "Total restated in the quarterly report"
    # The untouched site rows were not rewritten.
    assert all(r.version == 1 for r in _site_rows(db_session, company))


def test_treasury_mismatch_must_be_confirmed(editor_client: TestClient, db_session: Session, acme) -> None:
    company, *sites = acme
    make_company_month(db_session, company, period=dt.date(2024, 12, 1), btc_held_end=Decimal("100"))
    db_session.commit()
    fields = _filled(editor_client, tuple(sites), action="save")
    fields.update({"company-btc_sold": "10", "company-btc_held_end": "155"})
    response = editor_client.post(URL, data=fields)
    assert response.status_code == 422
    assert "difference +3 BTC" in response.text
    assert db_session.scalar(select(func.count()).select_from(SiteMonth)) == 0
    again = form_fields(response.text)
    again["confirm_treasury"] = "3"
    assert editor_client.post(URL, data=again, follow_redirects=False).status_code == 303
    assert len(_site_rows(db_session, company)) == 3


def test_second_editor_gets_409_and_can_reapply(app, editor_client: TestClient, db_session: Session, acme) -> None:
    company, *sites = acme
    editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="save"))
    other = make_user(db_session, email="second@example.com")
    db_session.commit()
    with TestClient(app, base_url="http://testserver") as second:
        log_in(second, other.email, DEFAULT_PASSWORD)
        mine = form_fields(editor_client.get(URL).text)
        theirs = form_fields(second.get(URL).text)
        theirs[f"site-{sites[0].id}-btc_mined"] = "11"
        theirs["action"] = "save"
        assert second.post(URL, data=theirs, follow_redirects=False).status_code == 303

    mine[f"site-{sites[0].id}-btc_mined"] = "12"
    mine[f"site-{sites[1].id}-btc_mined"] = "22"
    mine["action"] = "save"
    response = editor_client.post(URL, data=mine)
    assert response.status_code == 409
    assert "second@example.com" in response.text and "Saved meanwhile: <strong>11</strong>" in response.text
    rows = _site_rows(db_session, company)
    # Nothing of the second save went in, not even the row without a conflict.
    assert [r.btc_mined for r in rows[:2]] == [Decimal("11"), Decimal("20.5")]
    reapply = form_fields(response.text)
    assert reapply[f"site-{sites[0].id}-btc_mined"] == "12"
    assert editor_client.post(URL, data={**reapply, "action": "save"}, follow_redirects=False).status_code == 303
    rows = _site_rows(db_session, company)
    assert [r.btc_mined for r in rows[:2]] == [Decimal("12"), Decimal("22")]


def test_editors_of_different_sites_do_not_collide(app, editor_client: TestClient, db_session: Session, acme) -> None:
    company, *sites = acme
    editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="save"))
    other = make_user(db_session)
    db_session.commit()
    mine = form_fields(editor_client.get(URL).text)
    with TestClient(app, base_url="http://testserver") as second:
        log_in(second, other.email, DEFAULT_PASSWORD)
        theirs = form_fields(second.get(URL).text)
        theirs[f"site-{sites[2].id}-btc_mined"] = "33"
        assert second.post(URL, data={**theirs, "action": "save"}, follow_redirects=False).status_code == 303
    mine[f"site-{sites[0].id}-btc_mined"] = "15"
    assert editor_client.post(URL, data={**mine, "action": "save"}, follow_redirects=False).status_code == 303
    assert [r.btc_mined for r in _site_rows(db_session, company)] == [Decimal(15), Decimal("20.5"), Decimal(33)]


def test_emptied_site_row_is_deleted_with_history(editor_client: TestClient, db_session: Session, acme) -> None:
    company, alpha, beta, gamma = acme
    editor_client.post(URL, data=_filled(editor_client, (alpha, beta, gamma), action="save"))
    fields = form_fields(editor_client.get(URL).text)
    for name in list(fields):
        if name.startswith(f"site-{gamma.id}-") and not name.endswith(("version", "loaded")):
            fields[name] = ""
    assert editor_client.post(URL, data={**fields, "action": "save"}, follow_redirects=False).status_code == 303
    assert [r.site_id for r in _site_rows(db_session, company)] == [alpha.id, beta.id]
    history = editor_client.get(f"{URL}/history").text
    assert "delete" in history and "Gamma" in history


def test_unpublish_needs_a_reason(editor_client: TestClient, client: TestClient, db_session: Session, acme) -> None:
    company, *sites = acme
    editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="publish"))
    assert editor_client.post(f"{URL}/unpublish", data={"reason": " "}).status_code == 422
    response = editor_client.post(
        f"{URL}/unpublish", data={"reason": "Entered in the wrong month"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert all(r.status == RecordStatus.draft for r in _site_rows(db_session, company))
    assert (
        client.get("/api/v1/companies/acme/monthly?from=2025-01&to=2025-01").json()["data"][0]["btc_mined_total"]
        is None
    )
    history = editor_client.get(f"{URL}/history").text
    assert "unpublish" in history and "Entered in the wrong month" in history


def test_future_month_is_refused(editor_client: TestClient, acme) -> None:
    future = (dt.date.today().replace(day=1) + dt.timedelta(days=62)).strftime("%Y-%m")
    assert editor_client.get(f"/staff/companies/acme/months/{future}").status_code == 404
    assert editor_client.post(f"/staff/companies/acme/months/{future}", data={"action": "save"}).status_code == 422
    new = editor_client.get(f"/staff/companies/acme/months/new?period={future}")
    assert new.status_code == 422 and "in the future" in new.text
    ok = editor_client.get("/staff/companies/acme/months/new?period=2025-01", follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == URL


def test_months_list_and_site_history(editor_client: TestClient, acme) -> None:
    _company, _alpha, *_ = acme
    editor_client.post(URL, data=_filled(editor_client, tuple(acme[1:]), action="save"))
    listing = editor_client.get("/staff/companies/acme/months").text
    assert "January 2025" in listing and "draft" in listing and "3 of 3" in listing
    history = editor_client.get("/staff/companies/acme/sites/alpha/history")
    assert history.status_code == 200 and "create" in history.text and "10.5" in history.text
    assert editor_client.get("/staff/companies/acme/sites/nope/history").status_code == 404
    assert "Audit trail" in editor_client.get("/staff/audit").text


def test_a_company_with_many_sites_saves_in_one_form(editor_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="bigco")
    sites = [make_site(db_session, company, slug=f"s{i:02d}", name=f"Site {i:02d}") for i in range(15)]
    db_session.commit()
    url = "/staff/companies/bigco/months/2025-01"
    fields = form_fields(editor_client.get(url).text)
    assert len(fields) > 200
    for site in sites:
        fields[f"site-{site.id}-btc_mined"] = "1.5"
    response = editor_client.post(url, data={**fields, "action": "save"}, follow_redirects=False)
    assert response.status_code == 303
    assert len(_site_rows(db_session, company)) == 15
