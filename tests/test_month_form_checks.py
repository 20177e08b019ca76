"""The month form's checks before a save: removing a published figure needs a confirmed tick (and a reason),
the reason and the treasury warning show together, the error summary comes first, numbers as typed."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import Company, CompanyMonth, RecordStatus, Site
from tests.factories import make_company, make_company_month, make_site, make_site_month
from tests.test_staff_months import URL, _filled, _site_rows, form_fields


@pytest.fixture
def acme(db_session: Session) -> tuple[Company, Site, Site, Site]:
    company = make_company(db_session, slug="acme", name="Acme Mining")
    sites = tuple(make_site(db_session, company, slug=s, name=s.title()) for s in ("alpha", "beta", "gamma"))
    db_session.commit()
    return (company, *sites)  # type: ignore[return-value]


def _published(editor_client: TestClient, sites) -> dict[str, str]:
    response = editor_client.post(URL, data=_filled(editor_client, tuple(sites), action="publish"))
    assert response.status_code == 200  # followed to the saved form
    return form_fields(editor_client.get(URL).text)


def _summary(html: str) -> str:
    match = re.search(r'<main id="main" tabindex="-1">\s*(<div class="form-error-summary".*?</div>)', html, re.S)
    assert match, "the error summary is the first thing in the page"
    return match.group(1)


def test_emptying_a_published_figure_needs_a_confirmed_removal_and_a_reason(
    editor_client: TestClient, db_session: Session, acme
) -> None:
    company, alpha, _, _ = acme
    fields = _published(editor_client, acme[1:])
    fields[f"site-{alpha.id}-btc_mined"] = ""
    response = editor_client.post(URL, data={**fields, "action": "publish"})
    assert response.status_code == 422
    summary = _summary(response.text)
    assert 'role="alert" tabindex="-1"' in summary
    assert '<a href="#confirm_removals">Published figures removed</a>: 1 emptied field(s)' in summary
    assert '<a href="#reason">Reason</a>: This month is published' in summary
    assert 'Alpha, BTC mined</a>: 10.5 BTC → <strong class="removed">removed</strong>' in response.text
    assert _site_rows(db_session, company)[0].btc_mined == Decimal("10.5")

    # The reason alone is not enough: the removal must be ticked (the server checks the tick's value).
    again = form_fields(response.text)
    assert again[f"site-{alpha.id}-btc_mined"] == "" and "confirm_removals" not in again
    again["reason"] = "Alpha's figure was a double count"
    still = editor_client.post(URL, data={**again, "action": "publish"})
    assert still.status_code == 422 and "#confirm_removals" in _summary(still.text)
    assert "#reason" not in _summary(still.text)
    token = re.search(r'id="confirm_removals" name="confirm_removals" value="(\w+)"', still.text)
    assert token is not None
    forged = editor_client.post(URL, data={**again, "confirm_removals": "nope", "action": "publish"})
    assert forged.status_code == 422
    done = editor_client.post(
        URL, data={**again, "confirm_removals": token.group(1), "action": "publish"}, follow_redirects=False
    )
    assert done.status_code == 303 and "saved=correction" in done.headers["location"]
    row = _site_rows(db_session, company)[0]
    assert row.btc_mined is None and row.revision_reason == "Alpha's figure was a double count"


def test_emptying_a_published_site_column_lists_each_figure(
    editor_client: TestClient, db_session: Session, acme
) -> None:
    company, _, _, gamma = acme
    fields = _published(editor_client, acme[1:])
    for name in list(fields):
        if name.startswith(f"site-{gamma.id}-") and not name.endswith(("version", "loaded")):
            fields[name] = ""
    response = editor_client.post(URL, data={**fields, "action": "publish", "reason": "Gamma was never ours"})
    assert response.status_code == 422
    assert re.findall(r'<li class="removal"><a href="#site-\d+-(\w+)">Gamma', response.text) == [
        "btc_mined",
        "hashrate_avg_ehs",
        "hashrate_deployed_ehs",
    ]
    token = re.search(r'name="confirm_removals" value="(\w+)"', response.text)
    assert token is not None
    again = {**form_fields(response.text), "confirm_removals": token.group(1), "action": "publish"}
    assert editor_client.post(URL, data=again, follow_redirects=False).status_code == 303
    assert gamma.id not in [r.site_id for r in _site_rows(db_session, company)]


def test_reason_error_and_treasury_warning_show_together(editor_client: TestClient, db_session: Session, acme) -> None:
    company, *sites = acme
    make_company_month(db_session, company, period=dt.date(2024, 12, 1), btc_held_end=Decimal("100"))
    db_session.commit()
    fields = _published(editor_client, sites)
    fields.update({"company-btc_sold": "10", "company-btc_held_end": "155", "action": "publish"})
    fields[f"site-{sites[0].id}-fleet_efficiency_jth"] = "75"
    response = editor_client.post(URL, data=fields)
    assert response.status_code == 422
    summary = _summary(response.text)
    links = re.findall(r'<a href="#([\w-]+)">', summary)
    assert links == [f"site-{sites[0].id}-fleet_efficiency_jth", "confirm_treasury", "reason"]
    assert "Fleet efficiency must be between 5 and 60 J/TH" in summary
    assert 'id="reason-error"' in response.text and "difference +3 BTC" in response.text
    # Every typed value is kept.
    again = form_fields(response.text)
    assert (again["company-btc_held_end"], again[f"site-{sites[0].id}-fleet_efficiency_jth"]) == ("155", "75")
    # Fixed, ticked and explained: saved.
    again.update({f"site-{sites[0].id}-fleet_efficiency_jth": "18", "confirm_treasury": "3", "reason": "Sale added"})
    assert editor_client.post(URL, data={**again, "action": "publish"}, follow_redirects=False).status_code == 303
    stored = db_session.scalar(
        select(CompanyMonth).where(CompanyMonth.company_id == company.id, CompanyMonth.period == dt.date(2025, 1, 1))
    )
    assert stored is not None and stored.btc_held_end == 155


def test_numbers_as_people_type_them(editor_client: TestClient, db_session: Session, acme) -> None:
    company, alpha, *_ = acme
    fields = form_fields(editor_client.get(URL).text)
    fields.update(
        {
            f"site-{alpha.id}-btc_mined": "1,234.5",
            f"site-{alpha.id}-miners_deployed": "13\u202f603",
            f"site-{alpha.id}-power_credits_usd": "$1,234",
            f"site-{alpha.id}-uptime_pct": "95%",
            f"site-{alpha.id}-power_cost_usd_kwh": "-0.012",
            f"site-{alpha.id}-energy_mwh": "13 603",
            f"site-{alpha.id}-hashrate_avg_ehs": "1,500",
            f"site-{alpha.id}-hashrate_deployed_ehs": "2\u00a0000",
            "hashrate_unit": "PH/s",
            "action": "save",
        }
    )
    assert editor_client.post(URL, data=fields, follow_redirects=False).status_code == 303
    row = _site_rows(db_session, company)[0]
    assert (row.btc_mined, row.miners_deployed, row.power_credits_usd, row.uptime_pct) == (
        Decimal("1234.5"),
        13603,
        1234,
        95,
    )
    assert (row.power_cost_usd_kwh, row.energy_mwh, row.hashrate_avg_ehs, row.hashrate_deployed_ehs) == (
        Decimal("-0.012"),
        13603,
        Decimal("1.5"),
        2,
    )


def test_ambiguous_numbers_say_what_was_read(editor_client: TestClient, acme) -> None:
    _, alpha, beta, gamma = acme
    fields = form_fields(editor_client.get(URL).text)
    fields.update(
        {
            f"site-{alpha.id}-btc_mined": "1.234,5",
            f"site-{beta.id}-btc_mined": "\u0661\u0662",
            f"site-{gamma.id}-hashrate_avg_ehs": "9,000",
            f"site-{gamma.id}-power_credits_usd": "95%",
            "hashrate_unit": "PH/s",
            "action": "save",
        }
    )
    html = editor_client.post(URL, data=fields).text
    assert "read “1.234,5”: a comma after the decimal point" in html
    assert "read “١٢”: digits of another script (Arabic-Indic)" in html
    assert "read “95%”: a % sign does not fit a figure in USD" in html
    assert "Average operating hashrate must be between 0 and 5,000 EH/s (0 to 5,000,000 PH/s)" not in html
    fields[f"site-{gamma.id}-hashrate_avg_ehs"] = "9,000,000"
    html = editor_client.post(URL, data=fields).text
    assert "Average operating hashrate must be between 0 and 5,000 EH/s (0 to 5,000,000 PH/s)" in html


def test_month_list_shows_every_month_with_each_site(editor_client: TestClient, db_session: Session, acme) -> None:
    company, alpha, beta, _ = acme
    make_site_month(db_session, alpha, period=dt.date(2024, 11, 1), status=RecordStatus.draft)
    make_site_month(db_session, beta, period=dt.date(2025, 1, 1))
    make_company_month(
        db_session, company, period=dt.date(2025, 1, 1), revised_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    )
    db_session.commit()
    html = editor_client.get("/staff/companies/acme/months").text
    rows = re.findall(
        r"<tr(?: class=\"month-missing\")?>\s*<th scope=\"row\"><a [^>]+>([^<]+)</a></th>(.*?)</tr>", html, re.S
    )
    months = [name for name, _ in rows]
    # From the current month back to the first entered one, gaps included.
    today = dt.datetime.now(dt.UTC).date()
    expected = (today.year - 2024) * 12 + today.month - 11 + 1
    assert len(months) == expected and months[-1] == "November 2024" and months[-2] == "December 2024"
    states = {name: re.findall(r'<span class="status-pill[^"]*">([^<]+)</span>', cells) for name, cells in rows}
    # Status, company row, then Alpha, Beta, Gamma.
    assert states["December 2024"] == ["not entered"] * 5
    assert states["November 2024"] == ["draft", "not entered", "draft", "not entered", "not entered"]
    assert states["January 2025"] == ["revised", "revised", "not entered", "published", "not entered"]
    assert 'id="missing-months"' in html
