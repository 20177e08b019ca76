"""A site's life: energized and retired months, capacity over time, and figures outside the life refused in the
month form, the CSV import and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.domain.charts.site_capacity import capacity_chart
from app.domain.site_life import life_text, outside_life
from app.store import migrate
from app.store.models import Company, Site, SiteCapacity, SiteMonth
from tests.factories import make_company, make_site
from tests.test_api_writes import _auth, _token
from tests.test_staff_months import form_fields
from tests.web_helpers import figures

REFUSED = "Wyoming operates from July 2024; figures for June 2024 cannot be entered"


def test_the_refusal_names_the_dates() -> None:
    july, april = dt.date(2024, 7, 15), dt.date(2025, 4, 1)
    assert outside_life("Wyoming", july, None, dt.date(2024, 6, 1)) == REFUSED
    # Energized mid-July: July's figures belong to it.
    assert outside_life("Wyoming", july, None, dt.date(2024, 7, 1)) is None
    assert outside_life("Wyoming", july, april, dt.date(2025, 3, 1)) is None
    assert outside_life("Wyoming", july, april, dt.date(2025, 4, 1)) == (
        "Wyoming operates from July 2024 to March 2025; figures for April 2025 cannot be entered"
    )
    assert outside_life("Old", None, april, dt.date(2025, 5, 1)) == (
        "Old operates until March 2025; figures for May 2025 cannot be entered"
    )
    assert outside_life("Unknown", None, None, dt.date(2010, 1, 1)) is None
    assert life_text(None, None) == ""


def test_capacity_steps_hold_until_the_next_entry() -> None:
    entries = [
        (dt.date(2024, 7, 1), Decimal("75"), "https://example.com/a"),
        (dt.date(2024, 10, 1), Decimal("120"), None),
    ]
    chart = capacity_chart(entries, dt.date(2024, 12, 1))
    (series,) = chart.series
    assert [p.value for p in series.points] == [Decimal(v) for v in ("75", "75", "75", "120", "120", "120")]
    (trace, *_) = chart.figure["data"]
    assert trace["line"]["shape"] == "hv"
    assert capacity_chart([], dt.date(2024, 12, 1)).series == []


@pytest.fixture
def wyoming(db_session: Session) -> tuple[Company, Site]:
    company = make_company(db_session, slug="acme", name="Acme Mining")
    site = make_site(db_session, company, slug="wyoming", name="Wyoming", energized_on=dt.date(2024, 7, 1))
    db_session.commit()
    return company, site


def _site_months(db_session: Session, site: Site) -> list[SiteMonth]:
    db_session.expire_all()
    return list(db_session.scalars(select(SiteMonth).where(SiteMonth.site_id == site.id)))


def test_the_month_form_refuses_a_site_figure_before_it_operates(
    editor_client: TestClient, db_session: Session, wyoming: tuple[Company, Site]
) -> None:
    _, site = wyoming
    url = "/staff/companies/acme/months/2024-06"
    fields = form_fields(editor_client.get(url).text)
    fields[f"site-{site.id}-btc_mined"] = "5"
    fields["action"] = "save"
    response = editor_client.post(url, data=fields)
    assert response.status_code == 422
    assert REFUSED in response.text
    assert _site_months(db_session, site) == []
    # The month it was energized is accepted.
    url = "/staff/companies/acme/months/2024-07"
    fields = form_fields(editor_client.get(url).text)
    fields[f"site-{site.id}-btc_mined"] = "5"
    fields["action"] = "save"
    assert editor_client.post(url, data=fields, follow_redirects=False).status_code == 303
    assert [r.period for r in _site_months(db_session, site)] == [dt.date(2024, 7, 1)]


def test_the_import_refuses_a_row_outside_the_sites_life(
    editor_client: TestClient, db_session: Session, wyoming: tuple[Company, Site]
) -> None:
    _, site = wyoming
    content = "period,site,btc_mined (BTC)\n2024-06,wyoming,5\n2024-07,wyoming,6\n"
    response = editor_client.post("/staff/companies/acme/import", files={"file": ("f.csv", content, "text/csv")})
    assert response.status_code == 422
    assert REFUSED in response.text
    assert 'id="confirm-form"' not in response.text
    assert _site_months(db_session, site) == []


def test_the_api_refuses_with_a_422_naming_the_dates(
    client: TestClient, db_session: Session, wyoming: tuple[Company, Site]
) -> None:
    headers = _auth(_token(db_session))
    url = "/api/v1/companies/acme/sites/wyoming/monthly"
    refused = client.put(f"{url}/2024-06", json={"btc_mined": "5"}, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert {"path": "path.period", "message": REFUSED} in refused.json()["errors"]
    assert client.put(f"{url}/2024-07", json={"btc_mined": "5"}, headers=headers).status_code == 201


def test_the_api_site_write_sets_the_retired_month_and_capacity_history(
    client: TestClient, db_session: Session, wyoming: tuple[Company, Site]
) -> None:
    headers = _auth(_token(db_session))
    url = "/api/v1/companies/acme/sites/wyoming"
    etag = client.get(url).headers["etag"]
    body = {
        "name": "Wyoming",
        "energized_on": "2024-07-01",
        "retired_on": "2025-04-01",
        "capacity_history": [
            {"effective_month": "2024-07", "capacity_mw": "75", "source_url": "https://example.com/10-k"},
            {"effective_month": "2025-01", "capacity_mw": "90"},
        ],
    }
    saved = client.put(url, json=body, headers={**headers, "If-Match": etag})
    assert saved.status_code == 200, saved.text
    detail = client.get(url).json()
    assert detail["retired_on"] == "2025-04-01" and detail["capacity_mw"] == 90
    assert [(c["effective_month"], c["capacity_mw"]) for c in detail["capacity_history"]] == [
        ("2024-07", 75),
        ("2025-01", 90),
    ]
    # The retired month refuses April's figures.
    refused = client.put(f"{url}/monthly/2025-04", json={"btc_mined": "1"}, headers=headers)
    assert refused.status_code == 422
    assert "Wyoming operates from July 2024 to March 2025" in refused.text
    # A retired month before the energized one is refused beside the field.
    wrong = client.put(
        url,
        json={**body, "retired_on": "2024-05-01", "capacity_history": None},
        headers={**headers, "If-Match": client.get(url).headers["etag"]},
    )
    assert wrong.status_code == 422
    assert "must come after the energized month" in wrong.text


def test_staff_set_the_life_and_add_capacity_in_the_site_form(
    admin_client: TestClient, client: TestClient, db_session: Session, wyoming: tuple[Company, Site]
) -> None:
    _, site = wyoming
    url = "/staff/admin/companies/acme/sites/wyoming"
    form = {"name": "Wyoming", "slug": "wyoming", "status": "operating", "energized_on": "2024-07-01"}
    wrong = admin_client.post(url, data={**form, "retired_on": "2024-07"})
    assert wrong.status_code == 422 and "must come after the energized month (2024-07)" in wrong.text
    saved = admin_client.post(url, data={**form, "retired_on": "2025-04", "capacity_mw": "75"}, follow_redirects=False)
    assert saved.status_code == 303
    db_session.expire_all()
    assert db_session.get(Site, site.id).retired_on == dt.date(2025, 4, 1)  # type: ignore[union-attr]
    # The first capacity starts the history at the energized month.
    entry = {"effective_month": "2025-01", "entry_capacity_mw": "120", "entry_source_url": "https://example.com/q"}
    added = admin_client.post(f"{url}/capacity", data=entry, follow_redirects=False)
    assert added.status_code == 303
    bad = admin_client.post(f"{url}/capacity", data={**entry, "entry_capacity_mw": "-1"})
    assert bad.status_code == 422 and "Cannot be negative." in bad.text
    db_session.expire_all()
    history = db_session.scalars(select(SiteCapacity).where(SiteCapacity.site_id == site.id)).all()
    assert sorted((h.effective_on, h.capacity_mw) for h in history) == [
        (dt.date(2024, 7, 1), Decimal("75")),
        (dt.date(2025, 1, 1), Decimal("120")),
    ]
    assert 'value="2025-04"' in admin_client.get(url).text
    # The public site page: the life and the capacity as a step line.
    page = client.get("/companies/acme/sites/wyoming").text
    assert "from July 2024 to March 2025" in page
    capacity = figures(page)["capacity"]["data"][0]
    assert capacity["line"]["shape"] == "hv"
    assert capacity["x"][0] == "2024-07-01" and capacity["x"][-1] == "2025-03-01"
    assert capacity["y"][0] == 75 and capacity["y"][-1] == 120


def test_the_migration_carries_each_sites_capacity_into_its_history(engine: Engine) -> None:
    migrate.downgrade(engine, "0006")
    try:
        with engine.begin() as conn:
            company_id = conn.execute(
                sa.text(
                    "INSERT INTO company (slug, name, fiscal_year_end_month) VALUES ('mig', 'Mig', 12) RETURNING id"
                )
            ).scalar_one()
            for slug, capacity, energized in (("a", "75.5", "2024-07-15"), ("b", "20", None), ("c", None, None)):
                conn.execute(
                    sa.text(
                        "INSERT INTO site (company_id, slug, name, status, capacity_mw, energized_on) "
                        "VALUES (:c, :s, :s, 'operating', :mw, :on)"
                    ),
                    {"c": company_id, "s": slug, "mw": capacity, "on": energized},
                )
        migrate.upgrade(engine, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT site.slug, effective_on, site_capacity.capacity_mw, site.created_at FROM site_capacity "
                    "JOIN site ON site.id = site_capacity.site_id WHERE site.company_id = :c ORDER BY site.slug"
                ),
                {"c": company_id},
            ).all()
        assert [(r[0], str(r[1])[:10], Decimal(str(r[2]))) for r in rows[:1]] == [("a", "2024-07-01", Decimal("75.5"))]
        # Without an energized date: the month the site was created.
        assert rows[1][0] == "b" and str(rows[1][1])[:10] == str(rows[1][3])[:8] + "01"
        assert len(rows) == 2
    finally:
        migrate.upgrade(engine, "head")
        with engine.begin() as conn:
            ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM company WHERE slug = 'mig'"))]
            for company_id in ids:
                conn.execute(
                    sa.text("DELETE FROM site_capacity WHERE site_id IN (SELECT id FROM site WHERE company_id = :c)"),
                    {"c": company_id},
                )
                conn.execute(sa.text("DELETE FROM site WHERE company_id = :c"), {"c": company_id})
                conn.execute(sa.text("DELETE FROM company WHERE id = :c"), {"c": company_id})
