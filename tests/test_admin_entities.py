"""Admin pages for companies, sites and events: forms, validation, audit, data revision, escaping."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store import queries
from app.store.models import AuditAction, AuditEntry, Company, Event, Site, SiteStatus
from app.store.queries.audit import list_audit_entries
from tests.factories import make_company, make_event, make_site, make_site_month

COMPANY_FORM = {
    "name": "Northern Hash Inc.",
    "slug": "northern-hash",
    "ticker": "nhsh",
    "fiscal_year_end_month": "6",
    "website_url": "https://northernhash.example/investors",
}


def _audit(db_session: Session, entity: str, entity_id: int) -> list[AuditEntry]:
    return list(reversed(list_audit_entries(session=db_session, entity=entity, entity_id=entity_id)))


def test_create_company_redirects_audits_and_bumps_revision(admin_client: TestClient, db_session: Session) -> None:
    before = queries.get_data_revision(session=db_session).revision
    response = admin_client.post("/staff/admin/companies/new", data=COMPANY_FORM, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/admin/companies/northern-hash?done=created"
    company = db_session.scalar(select(Company).where(Company.slug == "northern-hash"))
    assert company is not None
    assert (company.name, company.ticker, company.fiscal_year_end_month) == ("Northern Hash Inc.", "NHSH", 6)
    [entry] = _audit(db_session, "company", company.id)
    assert entry.action == AuditAction.create
    assert entry.actor_kind == "user" and entry.actor_id == admin_client.user.id
    assert entry.after["slug"] == "northern-hash" and entry.before is None
    db_session.expire_all()
    assert queries.get_data_revision(session=db_session).revision == before + 1
    # The new company's investor page exists from day one.
    assert admin_client.get("/companies/northern-hash").status_code == 200
    page = admin_client.get(response.headers["location"])
    assert "Created." in page.text


def test_invalid_company_form_keeps_values_and_shows_each_message(admin_client: TestClient) -> None:
    form = {**COMPANY_FORM, "slug": "Not A Slug", "fiscal_year_end_month": "13", "website_url": "javascript:alert(1)"}
    response = admin_client.post("/staff/admin/companies/new", data=form)
    assert response.status_code == 422
    assert 'value="Northern Hash Inc."' in response.text
    assert 'value="Not A Slug"' in response.text
    assert "Use lower-case letters, digits and single hyphens" in response.text
    assert "Enter a full web address starting with https://" in response.text
    assert 'id="fiscal_year_end_month-error"' in response.text


def test_duplicate_slug_is_a_message_not_an_error(admin_client: TestClient, db_session: Session) -> None:
    existing = make_company(db_session, slug="taken")
    response = admin_client.post("/staff/admin/companies/new", data={**COMPANY_FORM, "slug": "taken"})
    assert response.status_code == 422
    assert "already used by another company" in response.text
    assert db_session.scalars(select(Company).where(Company.slug == "taken")).all() == [existing]


def test_edit_company_records_before_and_after(admin_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="old-slug", name="Old name")
    page = admin_client.get("/staff/admin/companies/old-slug")
    assert page.status_code == 200 and 'value="Old name"' in page.text
    response = admin_client.post(
        "/staff/admin/companies/old-slug", data={**COMPANY_FORM, "slug": "new-slug"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/admin/companies/new-slug")
    db_session.refresh(company)
    assert company.slug == "new-slug"
    [entry] = _audit(db_session, "company", company.id)
    assert entry.action == AuditAction.update
    assert entry.before["name"] == "Old name" and entry.after["name"] == "Northern Hash Inc."


def test_add_and_edit_site(admin_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="acme")
    form = {
        "name": "Rockdale",
        "slug": "rockdale",
        "region": "Texas",
        "status": "under_construction",
        "capacity_mw": "150.5",
        "energized_on": "2025-03-01",
        "note": "Phase one",
    }
    response = admin_client.post("/staff/admin/companies/acme/sites/new", data=form, follow_redirects=False)
    assert response.status_code == 303
    site = db_session.scalar(select(Site).where(Site.company_id == company.id, Site.slug == "rockdale"))
    assert site is not None
    assert site.capacity_mw == Decimal("150.5") and site.status == SiteStatus.under_construction
    edit = admin_client.get("/staff/admin/companies/acme/sites/rockdale")
    assert 'value="150.5"' in edit.text and 'value="2025-03-01"' in edit.text
    changed = {**form, "status": "operating", "capacity_mw": "", "region": ""}
    assert (
        admin_client.post(
            "/staff/admin/companies/acme/sites/rockdale", data=changed, follow_redirects=False
        ).status_code
        == 303
    )
    db_session.refresh(site)
    assert site.status == SiteStatus.operating and site.capacity_mw is None and site.region is None
    entries = _audit(db_session, "site", site.id)
    assert [e.action for e in entries] == [AuditAction.create, AuditAction.update]
    assert entries[1].before["capacity_mw"] == "150.500" and entries[1].after["capacity_mw"] is None
    assert entries[1].company_id == company.id and entries[1].site_id == site.id


def test_site_validation_messages(admin_client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="acme")
    form = {"name": "", "slug": "x y", "status": "bogus", "capacity_mw": "-3", "energized_on": "2025-02-30"}
    response = admin_client.post("/staff/admin/companies/acme/sites/new", data=form)
    assert response.status_code == 422
    for message in (
        "This field is required.",
        "Use lower-case letters",
        "Choose one of the options.",
        "Cannot be negative.",
        "Enter a date as YYYY-MM-DD.",
    ):
        assert message in response.text
    assert 'value="-3"' in response.text


def test_site_with_figures_cannot_be_deleted_but_an_empty_one_can(
    admin_client: TestClient, db_session: Session
) -> None:
    company = make_company(db_session, slug="acme")
    busy = make_site(db_session, company, slug="busy")
    make_site_month(db_session, busy)
    empty = make_site(db_session, company, slug="empty")
    empty_id = empty.id
    refused = admin_client.post("/staff/admin/companies/acme/sites/busy", data={"action": "delete"})
    assert refused.status_code == 422 and "set its status to retired instead" in refused.text
    done = admin_client.post(
        "/staff/admin/companies/acme/sites/empty", data={"action": "delete"}, follow_redirects=False
    )
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Site, empty_id) is None
    assert db_session.get(Site, busy.id) is not None
    [entry] = [e for e in _audit(db_session, "site", empty_id) if e.action == AuditAction.delete]
    assert entry.before["slug"] == "empty"


def test_events_add_edit_delete(admin_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="acme")
    site = make_site(db_session, company, slug="rockdale")
    other_site = make_site(db_session, slug="elsewhere")
    form = {
        "date": "2025-05-10",
        "title": "Storm curtailment",
        "kind": "weather",
        "site_id": str(site.id),
        "source_url": "https://acme.example/pr/1",
        "description": "Two days offline",
    }
    assert (
        admin_client.post("/staff/admin/companies/acme/events/new", data=form, follow_redirects=False).status_code
        == 303
    )
    event = db_session.scalar(select(Event).where(Event.company_id == company.id))
    assert event is not None and event.site_id == site.id
    # Another company's site is refused beside the field.
    refused = admin_client.post(
        f"/staff/admin/companies/acme/events/{event.id}", data={**form, "site_id": str(other_site.id)}
    )
    assert refused.status_code == 422 and "Choose one of this company&#39;s sites." in refused.text
    edited = {**form, "title": "Storm", "site_id": ""}
    assert (
        admin_client.post(
            f"/staff/admin/companies/acme/events/{event.id}", data=edited, follow_redirects=False
        ).status_code
        == 303
    )
    db_session.refresh(event)
    assert event.title == "Storm" and event.site_id is None
    event_id = event.id
    assert (
        admin_client.post(
            f"/staff/admin/companies/acme/events/{event_id}", data={"action": "delete"}, follow_redirects=False
        ).status_code
        == 303
    )
    db_session.expire_all()
    assert db_session.get(Event, event_id) is None
    assert [e.action for e in _audit(db_session, "event", event_id)] == [
        AuditAction.create,
        AuditAction.update,
        AuditAction.delete,
    ]


def test_shared_events_are_not_editable_through_a_company(admin_client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="acme")
    halving = make_event(db_session)  # company_id None: shared by every company
    assert admin_client.get(f"/staff/admin/companies/acme/events/{halving.id}").status_code == 404


def test_script_in_names_is_shown_as_text(admin_client: TestClient, db_session: Session) -> None:
    script = "<script>alert('x')</script>"
    form = {**COMPANY_FORM, "name": f"Evil {script}", "slug": "evil"}
    assert admin_client.post("/staff/admin/companies/new", data=form, follow_redirects=False).status_code == 303
    event_form = {"date": "2025-01-02", "title": f"Title {script}", "kind": "other", "description": script}
    assert (
        admin_client.post("/staff/admin/companies/evil/events/new", data=event_form, follow_redirects=False).status_code
        == 303
    )
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    for path in ("/staff/admin/companies", "/staff/admin/companies/evil", "/staff/", "/companies/evil"):
        page = admin_client.get(path)
        assert page.status_code == 200, path
        assert script not in page.text, path
        assert escaped in page.text, path
    # Kept unchanged in the database: escaping is the page's job.
    assert db_session.scalar(select(Company.name).where(Company.slug == "evil")) == f"Evil {script}"


def test_editor_cannot_write_companies(editor_client: TestClient, db_session: Session) -> None:
    response = editor_client.post("/staff/admin/companies/new", data=COMPANY_FORM)
    assert response.status_code == 403
    assert db_session.scalar(select(Company).where(Company.slug == "northern-hash")) is None
