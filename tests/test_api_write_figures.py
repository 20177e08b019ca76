"""PUT figures through the API: numbers as strings people write, sign rules from the dictionary, and a PUT
that would drop published figures refused without a reason, listing them."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.test_api_writes import COMPANY_URL, SITE_URL, _auth, _exact, _token, target  # noqa: F401


def test_number_strings_and_signs(client: TestClient, db_session: Session, target) -> None:  # noqa: F811
    headers = _auth(_token(db_session))
    body = {
        "btc_mined": "13,603",
        "miners_deployed": "13 603",
        "power_credits_usd": "$1,234.50",
        "uptime_pct": "95%",
        "power_cost_usd_kwh": "-0.012",
        "energy_mwh": "12\u202f000",
    }
    created = client.put(SITE_URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    stored = _exact(created)
    assert (stored["btc_mined"], stored["miners_deployed"], stored["power_credits_usd"]) == (
        13603,
        13603,
        Decimal("1234.5"),
    )
    assert (stored["uptime_pct"], stored["power_cost_usd_kwh"], stored["energy_mwh"]) == (95, Decimal("-0.012"), 12000)

    refused = client.put(
        COMPANY_URL,
        json={"btc_mined_total": "1.234,5", "btc_sold": -1, "btc_held_end": "$5", "fleet_efficiency_jth": 75},
        headers=headers,
    )
    assert refused.status_code == 422
    messages = {e["path"]: e["message"] for e in refused.json()["errors"]}
    assert messages["body.btc_mined_total"].startswith("read “1.234,5”: a comma after the decimal point")
    assert messages["body.btc_sold"] == "BTC sold cannot be negative (-1 BTC was entered)"
    assert "a $ sign does not fit a figure in BTC" in messages["body.btc_held_end"]
    assert messages["body.fleet_efficiency_jth"] == "Fleet efficiency must be between 5 and 60 J/TH"


def test_a_put_dropping_published_figures_needs_a_reason(client: TestClient, db_session: Session, target) -> None:  # noqa: F811
    headers = _auth(_token(db_session))
    first = client.put(
        SITE_URL + "?publish=true",
        json={"btc_mined": "437.72", "uptime_pct": "97", "hashrate_avg_ehs": 10},
        headers=headers,
    )
    etag = first.headers["etag"]
    dropped = client.put(SITE_URL, json={"btc_mined": "437.72"}, headers={**headers, "If-Match": etag})
    assert dropped.status_code == 409
    problem = dropped.json()
    assert "removes 2 published figure(s) (hashrate_avg_ehs, uptime_pct)" in problem["detail"]
    assert [e["path"] for e in problem["errors"]] == ["body.hashrate_avg_ehs", "body.uptime_pct", "body.reason"]
    assert "the published Uptime (97 %) would be removed" in problem["errors"][1]["message"]
    # A draft drops figures freely; with a reason, a published one too.
    kept = client.put(
        SITE_URL, json={"btc_mined": "437.72", "reason": "uptime withdrawn"}, headers={**headers, "If-Match": etag}
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["uptime_pct"] is None and kept.json()["revision_reason"] == "uptime withdrawn"


def test_the_openapi_document_states_the_dictionary_ranges(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SiteMonthWrite"]["properties"]
    miners = next(s for s in schema["miners_deployed"]["anyOf"] if s.get("type") == "integer")
    cost = next(s for s in schema["power_cost_usd_kwh"]["anyOf"] if s.get("type") == "number")
    assert (miners["minimum"], miners["maximum"]) == (0, 10_000_000)
    assert (cost["minimum"], cost["maximum"]) == (-1, 1)
