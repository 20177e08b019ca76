"""What an import does to stored figures: blanks keep them, CLEAR removes them (a published one only with a
reason, shown first in the dry run), numbers as people write them, zero shown as 0, the template, and a
ten-year import planned with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from app.schemas.csv_months import ParsedCsv, parse_csv
from app.store.models import RecordStatus, Site, SiteMonth
from app.store.queries.imports import ImportPlan, plan_import
from tests.factories import make_company, make_company_month, make_site, make_site_month
from tests.test_import import _confirm, _rows, _upload


def _site(db_session: Session, slug: str) -> Site:
    site = db_session.scalar(select(Site).where(Site.slug == slug))
    assert site is not None
    return site


def _published_alpha(db_session: Session) -> SiteMonth:
    row = make_site_month(
        db_session,
        _site(db_session, "alpha"),
        btc_mined=Decimal("437.72"),
        hashrate_avg_ehs=Decimal("10"),
        uptime_pct=Decimal("97"),
        note="January release",
    )
    db_session.commit()
    return row


def test_blank_cells_keep_published_figures(editor_client: TestClient, db_session: Session, acme) -> None:
    _published_alpha(db_session)
    content = "period,site,btc_mined (BTC),hashrate_avg_ehs (EH/s),uptime_pct (%),note\n2025-01,alpha,,,98,\n"
    dry = _upload(editor_client, content)
    assert dry.status_code == 200
    assert "uptime_pct: 97 → 98 %" in dry.text
    assert "removed" not in dry.text.split('id="format"')[0]
    response = _confirm(editor_client, dry.text, reason="uptime restated")
    assert response.status_code == 303
    row = _rows(db_session, acme)[0]
    assert (row.btc_mined, row.hashrate_avg_ehs, row.uptime_pct, row.note) == (
        Decimal("437.72"),
        Decimal(10),
        Decimal(98),
        "January release",
    )


def test_a_file_of_blanks_changes_nothing(editor_client: TestClient, db_session: Session, acme) -> None:
    _published_alpha(db_session)
    template = editor_client.get("/staff/companies/acme/import/template.csv").text
    # The template's month is last month; point it at the stored one.
    month = re.search(r"\n(\d{4}-\d{2}),", template)
    assert month is not None
    dry = _upload(editor_client, template.replace(month.group(1), "2025-01"))
    assert dry.status_code == 200
    assert "<strong>0</strong> new, <strong>0</strong> changed, <strong>3</strong> unchanged" in dry.text


def test_clear_removes_a_published_figure_with_a_reason(
    editor_client: TestClient, client: TestClient, db_session: Session, acme
) -> None:
    _published_alpha(db_session)
    dry = _upload(editor_client, "period,site,btc_mined (BTC),uptime_pct (%)\n2025-01,alpha,CLEAR,97\n")
    assert dry.status_code == 200
    html = dry.text
    # At the top: the published figures that change, the removal highlighted.
    top = html.split('id="dry-run-counts"')[1].split('<th scope="col">Line</th>')[0]
    assert "1 published figure(s) change, 1 removed" in top
    assert re.search(r'<tr class="removal">.*?BTC mined \(BTC\).*?437\.72.*?removed', top, re.S)
    assert 'btc_mined: 437.72 → <strong class="removed">removed</strong>' in html
    assert "(required: published figures change)" in html

    refused = _confirm(editor_client, html)
    assert refused.status_code == 422
    assert "1 published figure(s) change, 1 removed: say why" in refused.text
    assert _rows(db_session, acme)[0].btc_mined == Decimal("437.72")

    assert _confirm(editor_client, refused.text, reason="site figure withdrawn").status_code == 303
    row = _rows(db_session, acme)[0]
    assert row.btc_mined is None and row.uptime_pct == 97 and row.status == RecordStatus.published
    assert row.revision_reason == "site figure withdrawn"
    api = client.get("/api/v1/companies/acme/sites/alpha/monthly?from=2025-01&to=2025-01").json()["data"][0]
    assert api["btc_mined"] is None and api["revised"] is True


def test_clear_in_the_long_layout_and_on_a_draft(editor_client: TestClient, db_session: Session, acme) -> None:
    alpha = _site(db_session, "alpha")
    make_site_month(db_session, alpha, btc_mined=Decimal(5), note="draft note", status=RecordStatus.draft)
    db_session.commit()
    content = "period,site,metric,value,unit\n2025-01,alpha,btc_mined,clear,BTC\n2025-01,alpha,uptime_pct,,%\n"
    parsed = parse_csv(content.encode())
    assert parsed.rows[0].values == {"btc_mined": None}
    dry = _upload(editor_client, content)
    # A draft figure removed is no correction: no reason needed.
    assert "published figure(s) change" not in dry.text
    assert _confirm(editor_client, dry.text).status_code == 303
    row = _rows(db_session, acme)[0]
    assert row.btc_mined is None and row.note == "draft note"


def test_every_number_format(editor_client: TestClient, db_session: Session, acme) -> None:
    content = (
        "period,site,btc_mined (BTC),miners_deployed (machines),energy_mwh (MWh),power_capacity_mw (MW),"
        "power_credits_usd (USD),uptime_pct (%),power_cost_usd_kwh (USD/kWh),hashrate_avg_ehs (PH/s),"
        "curtailment_hours (h)\n"
        '2025-01,alpha,"13,603",13 603,13\u202f603.5,1\u00a0200,"$1,234",95%,-0.012,"1,500",0\n'
        '2025-01,beta,0.5,"1,234,567",0,0,$0,100 %,$-0.005,0.5,"1,234"\n'
    )
    parsed = parse_csv(content.encode())
    assert parsed.errors == []
    alpha, _ = parsed.rows
    assert alpha.errors == []
    assert alpha.values == {
        "btc_mined": Decimal(13603),
        "miners_deployed": Decimal(13603),
        "energy_mwh": Decimal("13603.5"),
        "power_capacity_mw": Decimal(1200),
        "power_credits_usd": Decimal(1234),
        "uptime_pct": Decimal(95),
        "power_cost_usd_kwh": Decimal("-0.012"),
        "hashrate_avg_ehs": Decimal("1.5"),
        "curtailment_hours": Decimal(0),
    }
    dry = _upload(editor_client, content)
    html = dry.text
    # The plan refuses what is out of range (1,234 hours in a month), naming the figure and its unit.
    assert "Curtailment must be between 0 and 744 h" in html
    assert dry.status_code == 422
    # Zero is shown as 0, not hidden.
    assert "curtailment_hours: — → 0 h" in html
    assert "power_cost_usd_kwh: — → -0.012 USD/kWh" in html

    fixed = _upload(editor_client, content.replace('"1,234"\n', "12\n"))
    assert fixed.status_code == 200, re.findall(r'<ul class="row-error">(.*?)</ul>', fixed.text)
    assert "power_credits_usd: — → 0 USD" in fixed.text and "energy_mwh: — → 0 MWh" in fixed.text
    assert _confirm(editor_client, fixed.text).status_code == 303
    rows = {r.site_id: r for r in _rows(db_session, acme)}
    stored = rows[_site(db_session, "alpha").id]
    assert (stored.miners_deployed, stored.power_cost_usd_kwh, stored.hashrate_avg_ehs) == (
        13603,
        Decimal("-0.012"),
        Decimal("1.5"),
    )
    other = rows[_site(db_session, "beta").id]
    assert (other.power_credits_usd, other.uptime_pct, other.power_cost_usd_kwh) == (0, 100, Decimal("-0.005"))


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1.234,5", "read “1.234,5”: a comma after the decimal point"),
        ("1,23", "read “1,23”: a comma where no thousands separator fits"),
        ("\u0661\u0662\u0663", "digits of another script (Arabic-Indic)"),
        ("1.2.3", "read “1.2.3”: two decimal points"),
        ("1,234 567", "one kind of thousands separator"),
        ("12%", "a % sign does not fit a figure in BTC"),
    ],
)
def test_ambiguous_numbers_are_refused_with_what_was_read(cell: str, message: str) -> None:
    parsed = parse_csv(f'period,site,btc_mined (BTC)\n2025-01,alpha,"{cell}"\n'.encode())
    errors = parsed.rows[0].errors
    assert any(message in e and "expected a number in BTC" in e for e in errors), errors


def test_unknown_names_list_the_metric_names() -> None:
    wide = parse_csv(b"period,site,btc_mind (BTC)\n2025-01,alpha,1\n")
    assert "did you mean btc_mined?" in wide.errors[0]
    assert "uptime_pct (%)" in wide.errors[0] and "hashrate_avg_ehs (EH/s or PH/s)" in wide.errors[0]
    long = parse_csv(b"period,site,metric,value\n2025-01,alpha,hashrate,1\n2025-01,alpha,uptime_pcnt,1\n")
    errors = long.rows[0].errors
    assert "metrics: btc_mined (BTC), hashrate_avg_ehs (EH/s or PH/s)" in errors[0]
    assert "did you mean uptime_pct?" in errors[1]


def test_template_for_the_company(editor_client: TestClient, acme) -> None:
    wide = editor_client.get("/staff/companies/acme/import/template.csv?layout=wide")
    assert wide.status_code == 200 and wide.headers["content-type"].startswith("text/csv")
    lines = wide.text.splitlines()
    assert lines[0].startswith("period,site,btc_mined (BTC),") and lines[0].endswith(",note,source_url,is_estimate")
    assert [line.split(",")[1] for line in lines[1:]] == ["alpha", "beta", ""]
    long = editor_client.get("/staff/companies/acme/import/template.csv?layout=long").text.splitlines()
    assert long[0] == "period,site,metric,value,unit,source_url,note,is_estimate"
    assert any(",alpha,power_cost_usd_kwh,,USD/kWh," in line for line in long)
    assert any(",,btc_held_end,,BTC," in line for line in long)
    assert not any(",,power_cost_usd_kwh," in line for line in long)  # a site figure only
    page = editor_client.get("/staff/companies/acme/import").text
    assert "template.csv?layout=wide" in page and "template.csv?layout=long" in page
    assert re.search(r"<code>uptime_pct</code></td><td>Uptime</td><td>%</td><td>site</td>", page)
    assert "-1 to 1 (may be negative); a leading $ is fine" in page
    assert "<code>CLEAR</code>" in page


def _ten_years(sites: list[str], start: int = 2015) -> bytes:
    lines = ["period,site,metric,value,unit"]
    for year in range(start, start + 10):
        for month in range(1, 13):
            period = f"{year}-{month:02d}"
            for slug in sites:
                lines.append(f"{period},{slug},btc_mined,12.5,BTC")
                lines.append(f"{period},{slug},hashrate_avg_ehs,1500,PH/s")
                lines.append(f'{period},{slug},miners_deployed,"13,603",machines')
                lines.append(f"{period},{slug},uptime_pct,97%,%")
                lines.append(f"{period},{slug},power_cost_usd_kwh,0.04,USD/kWh")
                lines.append(f"{period},{slug},energy_mwh,20000,MWh")
                lines.append(f"{period},{slug},fleet_efficiency_jth,18,J/TH")
                lines.append(f"{period},{slug},curtailment_hours,12,h")
                lines.append(f"{period},{slug},power_credits_usd,$100,USD")
                lines.append(f"{period},{slug},power_capacity_mw,50,MW")
                lines.append(f"{period},{slug},hashrate_deployed_ehs,20,EH/s")
            lines.append(f"{period},,btc_mined_total,130,BTC")
    return ("\n".join(lines) + "\n").encode()


def _count_queries(engine: Engine, action) -> int:
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_ten_years_of_ten_sites_plan_with_a_fixed_number_of_queries(db_session: Session, engine: Engine) -> None:
    company = make_company(db_session, slug="big")
    slugs = [f"site-{n}" for n in range(10)]
    for slug in slugs:
        make_site(db_session, company, slug=slug)
    # Stored figures in part of the range, so the plan compares as well as creates.
    first = db_session.scalar(select(Site).where(Site.slug == "site-0", Site.company_id == company.id))
    make_site_month(db_session, first, period=dt.date(2016, 1, 1), status=RecordStatus.draft)
    make_company_month(db_session, company, period=dt.date(2016, 1, 1), status=RecordStatus.draft)
    db_session.flush()

    small = parse_csv(_ten_years(slugs[:1], start=2024)[:400])
    big = parse_csv(_ten_years(slugs))
    assert big.errors == [] and len(big.rows) == 120 * 11
    counts: dict[str, int] = {}
    plans: dict[str, ImportPlan] = {}
    for name, parsed in (("small", small), ("big", big)):

        def plan(name: str = name, parsed: ParsedCsv = parsed) -> None:
            plans[name] = plan_import(session=db_session, company=company, parsed=parsed)

        counts[name] = _count_queries(engine, plan)
    # The same few queries whatever the size of the file: sites, stored site months, stored company months.
    assert counts["big"] == counts["small"] <= 4
    result = plans["big"]
    assert not result.has_errors, [r.errors for r in result.rows if r.errors][:3]
    assert result.counts["new"] == 120 * 11 - 2 and result.counts["changed"] == 2
