"""PUT a month through the API: tokens, preconditions, validation, publishing, corrections, audit, exact read-back."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.store.models import ApiToken, AuditEntry, Company, Site
from app.store.queries.tokens import create_token, revoke_token
from tests.factories import make_company, make_site

SYSTEM = Actor.system("test")


def _token(db_session: Session, scope: str = "write", company: Company | None = None, days: int | None = None) -> str:
    return create_token(
        session=db_session, name=f"{scope}-bot", scope=scope, actor=SYSTEM, company=company, expires_in_days=days
    ).secret


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def target(db_session: Session) -> tuple[Company, Site]:
    company = make_company(db_session, slug="writer")
    return company, make_site(db_session, company, slug="north")


SITE_URL = "/api/v1/companies/writer/sites/north/monthly/2025-03"
COMPANY_URL = "/api/v1/companies/writer/monthly/2025-03"


def _exact(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)


def test_write_then_read_round_trip_is_exact(client: TestClient, db_session: Session, target) -> None:
    secret = _token(db_session)
    body = {"btc_mined": "0.12345678", "hashrate_avg_ehs": 12.345678, "energy_mwh": "1234567.891", "publish": True}
    created = client.put(SITE_URL, json=body, headers=_auth(secret))
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith(SITE_URL)
    assert created.headers["etag"]
    month = _exact(client.get("/api/v1/companies/writer/sites/north/monthly?from=2025-03&to=2025-03"))["data"][0]
    assert month["btc_mined"] == Decimal("0.12345678")
    assert month["hashrate_avg_ehs"] == Decimal("12.345678")
    assert month["energy_mwh"] == Decimal("1234567.891")
    assert month["uptime_pct"] is None  # not sent: missing, not zero
    # The JSON text itself carries the digits (no float noise), and so does the CSV.
    assert b'"btc_mined":0.12345678,' in client.get(SITE_URL).content
    csv_text = client.get("/api/v1/companies/writer/sites/north/monthly?format=csv&shape=long").text
    assert "2025-03,writer,north,btc_mined,0.12345678,BTC" in csv_text
    # The company view sums the site: the same exact figure.
    company = _exact(client.get("/api/v1/companies/writer/monthly?from=2025-03&to=2025-03"))["data"][0]
    assert company["btc_mined"] == Decimal("0.12345678")


def test_company_month_round_trip(client: TestClient, db_session: Session, target) -> None:
    secret = _token(db_session)
    body = {
        "btc_mined_total": "700.5",
        "btc_held_end": "12345.12345678",
        "btc_sold": "0",
        "source_url": "https://x.io/r",
    }
    assert client.put(COMPANY_URL + "?publish=true", json=body, headers=_auth(secret)).status_code == 201
    got = _exact(client.get(COMPANY_URL))
    assert got["btc_held_end"] == Decimal("12345.12345678") and got["status"] == "published"
    monthly = _exact(client.get("/api/v1/companies/writer/monthly?from=2025-03&to=2025-03&provenance=true"))
    assert monthly["data"][0]["btc_mined_total"] == Decimal("700.5")
    assert monthly["data"][0]["sources"]["btc_held_end"]["source_url"] == "https://x.io/r"


def test_a_draft_stays_out_of_public_reads(client: TestClient, db_session: Session, target) -> None:
    secret = _token(db_session)
    response = client.put(SITE_URL, json={"btc_mined": 5}, headers=_auth(secret))
    assert response.status_code == 201 and response.json()["status"] == "draft"
    assert client.get(SITE_URL).status_code == 404
    assert client.get("/api/v1/companies/writer/sites/north/monthly").json()["data"] == []
    # The token that wrote it sees the draft, with the ETag it needs to update it.
    mine = client.get(SITE_URL, headers=_auth(secret))
    assert mine.status_code == 200 and mine.json()["status"] == "draft"
    assert mine.headers["cache-control"] == "private, no-cache"
    assert client.get(SITE_URL, headers=_auth(_token(db_session, "read"))).status_code == 404


def test_preconditions(client: TestClient, db_session: Session, target) -> None:
    headers = _auth(_token(db_session))
    first = client.put(SITE_URL, json={"btc_mined": 1}, headers={**headers, "If-None-Match": "*"})
    assert first.status_code == 201
    etag = first.headers["etag"]
    # Creating again with If-None-Match: * refuses to replace.
    assert client.put(SITE_URL, json={"btc_mined": 2}, headers={**headers, "If-None-Match": "*"}).status_code == 412
    missing = client.put(SITE_URL, json={"btc_mined": 2}, headers=headers)
    assert missing.status_code == 428
    assert missing.json()["errors"][0]["path"] == "header.If-Match"
    updated = client.put(SITE_URL, json={"btc_mined": 2}, headers={**headers, "If-Match": etag})
    assert updated.status_code == 200 and updated.headers["etag"] != etag
    stale = client.put(SITE_URL, json={"btc_mined": 3}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["etag"] == updated.headers["etag"]
    # If-Match on a month that does not exist cannot match.
    other = client.put(COMPANY_URL, json={}, headers={**headers, "If-Match": etag})
    assert other.status_code == 412
    # GET answers 304 for the current ETag.
    current = client.get(SITE_URL, headers=headers)
    assert client.get(SITE_URL, headers={**headers, "If-None-Match": current.headers["etag"]}).status_code == 304


def test_correcting_a_published_month_needs_a_reason_and_is_audited(
    client: TestClient, db_session: Session, target
) -> None:
    headers = _auth(_token(db_session))
    # Audit entries outlive the browser tests' wiped data (and SQLite reuses ids): look only at new ones.
    first_new = (db_session.scalar(select(func.max(AuditEntry.id))) or 0) + 1
    etag = client.put(SITE_URL + "?publish=true", json={"btc_mined": "10"}, headers=headers).headers["etag"]
    refused = client.put(SITE_URL, json={"btc_mined": "11"}, headers={**headers, "If-Match": etag})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["path"] == "body.reason"
    fixed = client.put(
        SITE_URL, json={"btc_mined": "11", "reason": "Typo in the release"}, headers={**headers, "If-Match": etag}
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["revision_reason"] == "Typo in the release"
    month = client.get("/api/v1/companies/writer/sites/north/monthly").json()["data"][0]
    assert month["btc_mined"] == 11 and month["revised"] is True
    _, site = target
    entries = db_session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "site_month", AuditEntry.site_id == site.id, AuditEntry.id >= first_new
        )
    ).all()
    assert {e.action.value for e in entries} >= {"create", "publish", "update"}
    assert all(e.actor_kind == "token" and e.actor_label == "token:write-bot" for e in entries)


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("none", 401),
        ("read", 403),
        ("write", 201),
        ("revoked", 401),
        ("expired", 401),
        ("other-company", 403),
        ("own-company", 201),
        ("garbage", 401),
        ("basic", 401),
    ],
)
def test_token_matrix(client: TestClient, db_session: Session, target, case: str, status: int) -> None:
    company, _ = target
    headers: dict[str, str] = {}
    if case in ("read", "write"):
        headers = _auth(_token(db_session, case))
    elif case == "revoked":
        new = create_token(session=db_session, name="gone", scope="write", actor=SYSTEM)
        revoke_token(new.token, session=db_session, actor=SYSTEM)
        headers = _auth(new.secret)
    elif case == "expired":
        new = create_token(session=db_session, name="old", scope="write", actor=SYSTEM, expires_in_days=1)
        new.token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db_session.flush()
        headers = _auth(new.secret)
    elif case == "other-company":
        headers = _auth(_token(db_session, company=make_company(db_session, slug="someone-else")))
    elif case == "own-company":
        headers = _auth(_token(db_session, company=company))
    elif case == "garbage":
        headers = _auth("mdk_not-a-real-token")
    elif case == "basic":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    response = client.put(SITE_URL, json={"btc_mined": 1}, headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_bad_bodies(client: TestClient, db_session: Session, target) -> None:
    headers = _auth(_token(db_session))
    not_json = client.put(SITE_URL, content=b'{"btc_mined": ', headers={**headers, "Content-Type": "application/json"})
    assert not_json.status_code == 400
    wrong_type = client.put(SITE_URL, content=b"btc_mined=1", headers={**headers, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    invalid = client.put(SITE_URL, json={"btc_mined": -1, "fleet_efficiency_jth": 500, "nope": 1}, headers=headers)
    assert invalid.status_code == 422
    paths = {e["path"] for e in invalid.json()["errors"]}
    assert paths == {"body.btc_mined", "body.fleet_efficiency_jth", "body.nope"}
    too_precise = client.put(SITE_URL, json={"btc_mined": "0.123456789"}, headers=headers)
    assert too_precise.status_code == 422  # more decimals than a satoshi: refused, never rounded
    future = client.put("/api/v1/companies/writer/sites/north/monthly/2099-01", json={}, headers=headers)
    assert future.status_code == 422 and future.json()["errors"][0]["path"] == "path.period"
    unknown_site = client.put("/api/v1/companies/writer/sites/south/monthly/2025-01", json={}, headers=headers)
    assert unknown_site.status_code == 404
    huge = client.put(
        SITE_URL, content=b"[" + b"1," * 40_000 + b"1]", headers={**headers, "Content-Type": "application/json"}
    )
    assert huge.status_code == 413
    array = client.put(SITE_URL, json=[1, 2], headers=headers)
    assert array.status_code == 422


def test_last_used_at_is_recorded_at_most_once_a_minute(client: TestClient, db_session: Session, target) -> None:
    assert client.put(SITE_URL + "?publish=true", json={}, headers=_auth(_token(db_session))).status_code == 201
    new = create_token(session=db_session, name="reader", scope="read", actor=SYSTEM)
    assert new.token.last_used_at is None
    client.get(SITE_URL, headers=_auth(new.secret))
    db_session.refresh(new.token)
    first = new.token.last_used_at
    assert first is not None
    client.get(SITE_URL, headers=_auth(new.secret))
    db_session.refresh(new.token)
    assert new.token.last_used_at == first
    token = db_session.get(ApiToken, new.token.id)
    assert token is not None and token.token_hash != new.secret and new.secret not in token.token_hash


def test_a_new_miner_can_be_set_up_and_filled_through_the_api(client: TestClient, db_session: Session) -> None:
    headers = _auth(_token(db_session))
    company = client.put("/api/v1/companies/newco", json={"name": "New Co", "ticker": "nwc"}, headers=headers)
    assert company.status_code == 201, company.text
    assert company.json()["ticker"] == "NWC"
    site = client.put(
        "/api/v1/companies/newco/sites/west", json={"name": "West", "capacity_mw": "12.5"}, headers=headers
    )
    assert site.status_code == 201, site.text
    again = client.put(
        "/api/v1/companies/newco/sites/west",
        json={"name": "West Texas"},
        headers={**headers, "If-Match": site.headers["etag"]},
    )
    assert again.status_code == 200 and again.json()["name"] == "West Texas"
    month = client.put(
        "/api/v1/companies/newco/sites/west/monthly/2025-06?publish=true", json={"btc_mined": "1.5"}, headers=headers
    )
    assert month.status_code == 201
    assert client.get("/api/v1/companies/newco").json()["sites"][0]["slug"] == "west"
    bad = client.put("/api/v1/companies/Bad_Slug", json={"name": "x"}, headers=headers)
    assert bad.status_code == 400  # the path does not match the documented slug pattern
    reserved = client.put("/api/v1/companies/new", json={"name": "x"}, headers=headers)
    assert reserved.status_code == 422 and reserved.json()["errors"][0]["path"] == "path.slug"
    etag = client.get("/api/v1/companies/newco").headers["etag"]
    extra = client.put(
        "/api/v1/companies/newco", json={"name": "x", "owner": "me"}, headers={**headers, "If-Match": etag}
    )
    assert extra.status_code == 422 and extra.json()["errors"][0]["path"] == "body.owner"


def test_company_limited_and_read_tokens_cannot_create_companies(
    client: TestClient, db_session: Session, target
) -> None:
    company, _ = target
    limited = _auth(_token(db_session, company=company))
    assert client.put("/api/v1/companies/other-co", json={"name": "Other"}, headers=limited).status_code == 403
    etag = {"If-Match": client.get("/api/v1/companies/writer").headers["etag"]}
    renamed = client.put("/api/v1/companies/writer", json={"name": "Writer Inc"}, headers={**limited, **etag})
    assert renamed.status_code == 200
    reader = _auth(_token(db_session, "read"))
    assert client.put("/api/v1/companies/other-co", json={"name": "Other"}, headers=reader).status_code == 403
    assert client.put("/api/v1/companies/other-co", json={"name": "Other"}).status_code == 401


# --- companies and sites: the same preconditions as months ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/companies/writer", {"name": "Writer Inc", "ticker": "WRT"}),
        ("/api/v1/companies/writer/sites/north", {"name": "North Texas", "capacity_mw": "50"}),
    ],
)
def test_replacing_a_company_or_site_needs_if_match(
    client: TestClient, db_session: Session, target, url: str, body: dict
) -> None:
    headers = _auth(_token(db_session))
    read = client.get(url)
    assert read.status_code == 200
    etag = read.headers["etag"]
    # Without If-Match: 428, with the current ETag to retry with.
    blind = client.put(url, json=body, headers=headers)
    assert blind.status_code == 428 and blind.headers["etag"] == etag
    assert blind.json()["errors"][0]["path"] == "header.If-Match"
    assert client.put(url, json=body, headers={**headers, "If-None-Match": "*"}).status_code == 412
    # With it: replaced, and the answer is the new representation with its ETag, as GET gives it.
    saved = client.put(url, json=body, headers={**headers, "If-Match": etag})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] != etag
    after = client.get(url)
    assert after.headers["etag"] == saved.headers["etag"] and after.json() == saved.json()
    assert client.get(url, headers={"If-None-Match": saved.headers["etag"]}).status_code == 304
    # The old ETag is stale now: 412 and the current one.
    stale = client.put(url, json=body, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412 and stale.headers["etag"] == saved.headers["etag"]
    # Someone else's change (here an editor on the admin pages) makes a read stale too.
    company, site = target
    if "/sites/" in url:
        site.note = "changed elsewhere"
    else:
        company.website_url = "https://elsewhere.example/"
    db_session.flush()
    moved = client.put(url, json=body, headers={**headers, "If-Match": saved.headers["etag"]})
    assert moved.status_code == 412
    assert client.put(url, json=body, headers={**headers, "If-Match": "*"}).status_code == 200


def test_creating_a_company_or_site_needs_no_precondition(client: TestClient, db_session: Session) -> None:
    headers = _auth(_token(db_session))
    made = client.put("/api/v1/companies/freshco", json={"name": "Fresh"}, headers=headers)
    assert made.status_code == 201 and made.headers["etag"] and made.headers["location"].endswith("/freshco")
    assert made.headers["etag"] == client.get("/api/v1/companies/freshco").headers["etag"]
    only_new = client.put(
        "/api/v1/companies/freshco/sites/a", json={"name": "A"}, headers={**headers, "If-None-Match": "*"}
    )
    assert only_new.status_code == 201
    wrong = client.put("/api/v1/companies/freshco/sites/b", json={"name": "B"}, headers={**headers, "If-Match": '"x"'})
    assert wrong.status_code == 412  # nothing there to match


def test_company_and_site_preconditions_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/companies/{slug}", "/api/v1/companies/{slug}/sites/{site}"):
        put = paths[path]["put"]
        assert {"412", "428"} <= set(put["responses"])
        assert {"If-Match", "If-None-Match"} <= {p["name"] for p in put["parameters"] if p["in"] == "header"}
