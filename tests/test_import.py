"""CSV import: parsing, the dry run, confirmation all-or-none, and export -> import round trips."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.schemas.csv_months import MAX_IMPORT_BYTES, parse_csv, write_csv
from app.store.models import AuditEntry, Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries.imports import COMPANY_FIELDS, SITE_FIELDS
from tests.factories import make_company, make_company_month, make_site, make_site_month
from tests.test_staff_months import form_fields

HEADER = "period,site,btc_mined (BTC),hashrate_avg_ehs (EH/s),btc_mined_total (BTC),note,source_url,is_estimate\n"


def _upload(client: TestClient, content: bytes | str, name: str = "figures.csv"):
    body = content.encode() if isinstance(content, str) else content
    return client.post("/staff/companies/acme/import", files={"file": (name, body, "text/csv")})


def _confirm_fields(html: str) -> dict[str, str]:
    form = re.search(r'<form[^>]+id="confirm-form".*?</form>', html, re.S)
    assert form is not None, "no confirm form on the page"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    return fields


def _confirm(client: TestClient, html: str, **extra: str):
    fields = {**_confirm_fields(html), **extra}
    return client.post(
        "/staff/companies/acme/import/confirm",
        files={k: (None, v) for k, v in fields.items()},
        follow_redirects=False,
    )


def _rows(db_session: Session, company: Company) -> list[SiteMonth]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(SiteMonth).join(Site).where(Site.company_id == company.id).order_by(SiteMonth.period, Site.slug)
        )
    )


# --- parsing ------------------------------------------------------------------------------------------


def test_parse_reads_units_and_neutralised_cells() -> None:
    parsed = parse_csv(
        b"\xef\xbb\xbfPeriod,site,hashrate_avg_ehs (PH/s),note\n"
        b"2025-01,alpha,1500,'=not a formula\n2025-01,,,company note\n"
    )
    assert parsed.errors == []
    first = parsed.rows[0]
    assert first.period == dt.date(2025, 1, 1) and first.site == "alpha"
    assert first.values["hashrate_avg_ehs"] == Decimal("1.5") and first.text["note"] == "=not a formula"
    assert parsed.rows[1].site is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"month,site\n2025-01,a\n", "no `period` column"),
        (b"period,site,btc_mined (kg)\n2025-01,a,1\n", "unit 'kg' is not accepted"),
        (b"period,site,hashrate_avg_ehs (TH/s)\n2025-01,a,1\n", "use EH/s or PH/s"),
        (b"period,site,colour\n2025-01,a,red\n", "Unknown column 'colour'"),
        ("period,site,note\n2025-01,a,caf\u00e9\n".encode("latin-1"), "not UTF-8"),
        (b"", "empty"),
        (b"period,site\n", "no rows"),
        (b"period,period\n2025-01,2025-01\n", "appears twice"),
    ],
)
def test_file_level_errors(content: bytes, message: str) -> None:
    parsed = parse_csv(content)
    assert parsed.rows == [] and any(message in e for e in parsed.errors), parsed.errors


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("=1+2", "formula"),
        ("@SUM(A1)", "formula"),
        ("+cmd|' /C calc'!A0", "formula"),
        ("1.234,5", "read “1.234,5”: a comma after the decimal point"),
        ("1,23", "read “1,23”: a comma where no thousands separator fits"),
        ("١٢٣", "digits of another script (Arabic-Indic)"),
        ("1.2.3", "two decimal points"),
        ("$5", "a $ sign does not fit a figure in BTC"),
        ("NaN", "read “NaN”: not a number"),
        ("-1,23", "btc_mined: read “-1,23”"),
    ],
)
def test_bad_cells_are_row_errors(cell: str, message: str) -> None:
    parsed = parse_csv(f'period,site,btc_mined (BTC)\n2025-01,alpha,"{cell}"\n'.encode())
    assert parsed.errors == []
    assert any(message in e for e in parsed.rows[0].errors), parsed.rows[0].errors


def test_long_layout_is_read() -> None:
    parsed = parse_csv(
        b"period,site,metric,value,unit\n"
        b"2025-01,alpha,btc_mined,10.5,BTC\n2025-01,alpha,hashrate_avg_ehs,2000,PH/s\n"
        b"2025-01,,btc_mined_total,11,BTC\n2025-01,alpha,btc_per_day,0.3,BTC/day\n"
    )
    assert parsed.errors == [] and parsed.layout == "long"
    alpha, company = parsed.rows
    assert alpha.values == {"btc_mined": Decimal("10.5"), "hashrate_avg_ehs": Decimal(2)}
    assert company.site is None and company.values == {"btc_mined_total": Decimal(11)}


# --- dry run and confirm ------------------------------------------------------------------------------


def test_dry_run_shows_each_row_and_saves_nothing(editor_client: TestClient, db_session: Session, acme) -> None:
    alpha = db_session.scalar(select(Site).where(Site.slug == "alpha"))
    make_site_month(db_session, alpha, period=dt.date(2025, 1, 1), btc_mined=Decimal("10"), status=RecordStatus.draft)
    make_site_month(db_session, alpha, period=dt.date(2025, 2, 1), btc_mined=Decimal("20"), status=RecordStatus.draft)
    db_session.commit()
    content = (
        "period,site,btc_mined (BTC)\n"
        "2025-01,alpha,12\n"  # changed
        "2025-02,alpha,20\n"  # unchanged
        "2025-03,beta,5\n"  # new
        "2025-03,nowhere,5\n"  # error: unknown site
        "2025-04,beta,-1\n"  # error: negative
    )
    response = _upload(editor_client, content)
    assert response.status_code == 422  # errors: nothing can be confirmed
    html = response.text
    assert (
        "<strong>1</strong> new, <strong>1</strong> changed, <strong>1</strong> unchanged, <strong>2</strong> with"
        in html
    )
    assert "btc_mined: 10 → 12 BTC" in html
    assert "no site &#39;nowhere&#39; in this company" in html and "BTC mined cannot be negative" in html
    assert 'id="confirm-form"' not in html
    assert len(_rows(db_session, acme)) == 2


def test_confirm_applies_all_rows_as_drafts(
    editor_client: TestClient, client: TestClient, db_session: Session, acme
) -> None:
    # Audit entries outlive every test (the database refuses to delete them): count only the new ones.
    first_new = (db_session.scalar(select(func.max(AuditEntry.id))) or 0) + 1
    content = (
        HEADER
        + "2025-01,alpha,10.5,2,,,,\n2025-01,beta,20.25,3,,,,\n2025-01,,,,31,Release,https://example.com/r,true\n"
    )
    dry = _upload(editor_client, content)
    assert dry.status_code == 200
    response = _confirm(editor_client, dry.text)
    assert response.status_code == 303 and "imported=3-0-0" in response.headers["location"]
    rows = _rows(db_session, acme)
    assert [r.btc_mined for r in rows] == [Decimal("10.5"), Decimal("20.25")]
    assert all(r.status == RecordStatus.draft for r in rows)
    company_row = db_session.scalar(select(CompanyMonth).where(CompanyMonth.company_id == acme.id))
    assert company_row is not None and company_row.is_estimate and company_row.source_url == "https://example.com/r"
    assert (
        client.get("/api/v1/companies/acme/monthly?from=2025-01&to=2025-01").json()["data"][0]["btc_mined_total"]
        is None
    )
    new_entries = select(func.count()).where(AuditEntry.company_id == acme.id, AuditEntry.id >= first_new)
    audit = db_session.scalar(new_entries.select_from(AuditEntry))
    assert audit == 3


def test_confirm_can_publish(editor_client: TestClient, client: TestClient, db_session: Session, acme) -> None:
    dry = _upload(editor_client, HEADER + "2025-01,alpha,10.5,2,,,,\n2025-01,,,,31,,,\n")
    assert _confirm(editor_client, dry.text, publish="on").status_code == 303
    api = client.get("/api/v1/companies/acme/monthly?from=2025-01&to=2025-01").json()["data"][0]
    assert api["btc_mined_total"] == 31


def test_changes_between_dry_run_and_confirm_are_not_overwritten(
    editor_client: TestClient, db_session: Session, acme
) -> None:
    alpha = db_session.scalar(select(Site).where(Site.slug == "alpha"))
    row = make_site_month(db_session, alpha, btc_mined=Decimal("10"), status=RecordStatus.draft)
    db_session.commit()
    dry = _upload(editor_client, "period,site,btc_mined (BTC)\n2025-01,alpha,12\n2025-01,beta,7\n")
    # Someone edits the month before the import is confirmed.
    row.btc_mined = Decimal("11")
    row.version = 2
    db_session.commit()
    response = _confirm(editor_client, dry.text)
    assert response.status_code == 409 and "changed since your dry run" in response.text
    assert [r.btc_mined for r in _rows(db_session, acme)] == [Decimal("11")]  # beta not created either
    # The new dry run can be confirmed.
    assert _confirm(editor_client, response.text).status_code == 303
    assert [r.btc_mined for r in _rows(db_session, acme)] == [Decimal("12"), Decimal("7")]


def test_tampered_confirmation_is_refused(editor_client: TestClient, db_session: Session, acme) -> None:
    dry = _upload(editor_client, "period,site,btc_mined (BTC)\n2025-01,alpha,12\n")
    import base64

    forged = base64.b64encode(b"period,site,btc_mined (BTC)\n2025-01,alpha,9999\n").decode()
    assert _confirm(editor_client, dry.text, content=forged).status_code == 400
    assert _rows(db_session, acme) == []


def test_published_rows_need_a_reason(editor_client: TestClient, db_session: Session, acme) -> None:
    alpha = db_session.scalar(select(Site).where(Site.slug == "alpha"))
    make_site_month(db_session, alpha, btc_mined=Decimal("10"))
    db_session.commit()
    dry = _upload(editor_client, "period,site,btc_mined (BTC)\n2025-01,alpha,12\n")
    assert "correction of published" in dry.text
    refused = _confirm(editor_client, dry.text)
    assert refused.status_code == 422 and [r.btc_mined for r in _rows(db_session, acme)] == [Decimal(10)]
    assert _confirm(editor_client, refused.text, reason="restated").status_code == 303
    row = _rows(db_session, acme)[0]
    assert row.btc_mined == 12 and row.revision_reason == "restated"


def test_treasury_warning_must_be_confirmed(editor_client: TestClient, db_session: Session, acme) -> None:
    make_company_month(db_session, acme, period=dt.date(2024, 12, 1), btc_held_end=Decimal(100))
    db_session.commit()
    dry = _upload(
        editor_client, "period,site,btc_mined_total (BTC),btc_sold (BTC),btc_held_end (BTC)\n2025-01,,10,0,111\n"
    )
    assert "differ by +1 BTC" in dry.text
    assert _confirm(editor_client, dry.text).status_code == 422
    assert _confirm(editor_client, dry.text, confirm_warnings="on").status_code == 303


def test_oversized_and_bad_uploads(editor_client: TestClient, acme) -> None:
    big = b"period,site,note\n" + b"2025-01,alpha," + b"x" * (MAX_IMPORT_BYTES + 10) + b"\n"
    response = _upload(editor_client, big)
    assert response.status_code == 413 and "larger than 2 MB" in response.text
    wrong = _upload(editor_client, "when,where\n2025-01,alpha\n")
    assert wrong.status_code == 422 and "no `period` column" in wrong.text
    latin = _upload(editor_client, "period,site,note\n2025-01,alpha,caf\u00e9\n".encode("latin-1"))
    assert latin.status_code == 422 and "not UTF-8" in latin.text
    script = _upload(editor_client, "period,site,<script>alert(1)</script>\n2025-01,alpha,1\n")
    assert script.status_code == 422 and "<script>alert(1)</script>" not in script.text


# --- round trips --------------------------------------------------------------------------------------


def _values(row: object, names: tuple[str, ...]) -> dict[str, object]:
    return {n: getattr(row, n) for n in (*names, "note", "source_url", "is_estimate")}


def test_export_then_import_gives_the_same_data(editor_client: TestClient, db_session: Session, acme) -> None:
    """Figures exported from one company and imported into another with the same sites come back identical."""
    source = make_company(db_session, slug="source")
    alpha = make_site(db_session, source, slug="alpha")
    beta = make_site(db_session, source, slug="beta")
    make_site_month(
        db_session,
        alpha,
        period=dt.date(2025, 1, 1),
        btc_mined=Decimal("100.12345678"),
        hashrate_avg_ehs=Decimal("10.000001"),
        hashrate_deployed_ehs=Decimal("12"),
        miners_deployed=12345,
        power_cost_usd_kwh=Decimal("0.04321"),
        note='=SUM(A1) is text, "quoted", with a comma',
        is_estimate=True,
    )
    make_site_month(db_session, beta, period=dt.date(2025, 2, 1), btc_mined=Decimal(0), hashrate_avg_ehs=None)
    make_company_month(
        db_session,
        source,
        period=dt.date(2025, 1, 1),
        btc_sold=Decimal("1.5"),
        btc_sold_proceeds_usd=Decimal("150000.25"),
        source_url="https://example.com/release?a=1&b=2",
    )
    db_session.commit()

    exported = editor_client.get("/staff/companies/source/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "'=SUM(A1)" in exported.text  # neutralised on the way out

    dry = _upload(editor_client, exported.content)
    assert dry.status_code == 200 and "<strong>3</strong> new" in dry.text
    assert _confirm(editor_client, dry.text).status_code == 303

    db_session.expire_all()
    imported = {(r.period, r.site_id): r for r in _rows(db_session, acme)}
    originals = _rows(db_session, source)
    assert len(imported) == len(originals) == 2
    acme_sites = {s.slug: s.id for s in db_session.scalars(select(Site).where(Site.company_id == acme.id))}
    source_slugs = {alpha.id: "alpha", beta.id: "beta"}
    for original in originals:
        copy = imported[(original.period, acme_sites[source_slugs[original.site_id]])]
        assert _values(copy, SITE_FIELDS) == _values(original, SITE_FIELDS)
    copy_company = db_session.scalar(select(CompanyMonth).where(CompanyMonth.company_id == acme.id))
    original_company = db_session.scalar(select(CompanyMonth).where(CompanyMonth.company_id == source.id))
    assert _values(copy_company, COMPANY_FIELDS) == _values(original_company, COMPANY_FIELDS)

    # Importing the same file again changes nothing.
    again = _upload(editor_client, exported.content)
    assert "<strong>0</strong> new, <strong>0</strong> changed, <strong>3</strong> unchanged" in again.text


def test_written_csv_reads_back(db_session: Session) -> None:
    rows = [
        {"period": dt.date(2025, 3, 1), "site": "alpha", "btc_mined": Decimal("1.5"), "note": "-5% vs plan"},
        {"period": dt.date(2025, 3, 1), "site": None, "btc_mined_total": Decimal("2"), "is_estimate": True},
    ]
    parsed = parse_csv(write_csv(rows).encode())
    assert parsed.errors == [] and all(not r.errors for r in parsed.rows)
    site_row, company_row = parsed.rows
    assert site_row.values["btc_mined"] == Decimal("1.5") and site_row.text["note"] == "-5% vs plan"
    assert company_row.site is None and company_row.values["btc_mined_total"] == 2 and company_row.is_estimate


def test_month_form_fields_are_not_affected_by_imports(editor_client: TestClient, acme) -> None:
    # The month form of an imported month pre-fills the imported values.
    dry = _upload(editor_client, HEADER + "2025-01,alpha,10.5,2,,,,\n")
    _confirm(editor_client, dry.text)
    fields = form_fields(editor_client.get("/staff/companies/acme/months/2025-01").text)
    assert "10.5" in fields.values()


@pytest.mark.parametrize("shape", ["wide", "long"])
def test_api_site_csv_round_trips(
    editor_client: TestClient, client: TestClient, db_session: Session, acme, shape
) -> None:
    """The public site-month CSV (wide or long) imports into a company with the same sites unchanged."""
    source = make_company(db_session, slug="source")
    alpha = make_site(db_session, source, slug="alpha")
    make_site_month(
        db_session,
        alpha,
        period=dt.date(2025, 1, 1),
        btc_mined=Decimal("100.12345678"),
        hashrate_avg_ehs=Decimal("10.000001"),
        hashrate_deployed_ehs=Decimal("12"),
        uptime_pct=Decimal("97.5"),
        source_url="https://example.com/r",
        is_estimate=True,
        note=None if shape == "long" else "-2% vs plan",
    )
    make_site_month(db_session, alpha, period=dt.date(2025, 2, 1), btc_mined=Decimal("90"), hashrate_avg_ehs=None)
    db_session.commit()
    exported = client.get(f"/api/v1/companies/source/sites/alpha/monthly?format=csv&shape={shape}")
    assert exported.status_code == 200, exported.text
    dry = _upload(editor_client, exported.content)
    assert dry.status_code == 200, re.findall(r"<li>(.*?)</li>", dry.text)
    assert "<strong>2</strong> new" in dry.text
    assert _confirm(editor_client, dry.text, publish="on").status_code == 303
    originals = _rows(db_session, source)
    copies = _rows(db_session, acme)
    assert [_values(c, SITE_FIELDS) for c in copies] == [_values(o, SITE_FIELDS) for o in originals]
    again = client.get(f"/api/v1/companies/acme/sites/alpha/monthly?format=csv&shape={shape}")
    assert again.text.replace("acme", "source") == exported.text


def test_api_company_csv_imports_the_company_figures(
    editor_client: TestClient, client: TestClient, db_session: Session, acme
) -> None:
    source = make_company(db_session, slug="source")
    make_company_month(
        db_session, source, btc_mined_total=Decimal("626"), btc_held_end=Decimal("10556"), btc_sold=Decimal("0")
    )
    db_session.commit()
    exported = client.get("/api/v1/companies/source/monthly?format=csv&from=2025-01&to=2025-01")
    assert exported.status_code == 200
    dry = _upload(editor_client, exported.content)
    assert dry.status_code == 200, re.findall(r"<li>(.*?)</li>", dry.text)
    assert "Ignored columns" in dry.text
    assert _confirm(editor_client, dry.text).status_code == 303
    copy = db_session.scalar(select(CompanyMonth).where(CompanyMonth.company_id == acme.id))
    assert copy is not None and (copy.btc_mined_total, copy.btc_held_end, copy.btc_sold) == (626, 10556, 0)


def test_upload_without_a_length_is_refused(editor_client: TestClient, acme) -> None:
    def chunks():
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        yield b"period,site\r\n2025-01,alpha\r\n--x--\r\n"

    response = editor_client.post(
        "/staff/companies/acme/import",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
