"""Keeping the network reference current: the API's PUT with If-Match, the admin form and import, the command."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.store.models import AuditEntry, NetworkMonth
from app.store.queries import get_data_revision
from app.store.queries.tokens import create_token
from tests.factories import make_company, make_network_month
from tests.test_cli import _run

URL = "/api/v1/network/monthly/2025-03"
SYSTEM = Actor.system("test")


def _auth(db_session: Session, **kwargs: object) -> dict[str, str]:
    secret = create_token(session=db_session, name="feed", scope="write", actor=SYSTEM, **kwargs).secret  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {secret}"}


def test_put_creates_then_needs_if_match(client: TestClient, db_session: Session) -> None:
    auth = _auth(db_session)
    before = get_data_revision(session=db_session).revision
    body = {
        "network_hashrate_avg_ehs": "812.5",
        "network_subsidy_btc": "13950",
        "network_fees_btc": "120.12345678",
        "btc_price_avg_usd": 84000.5,
        "sources": {"network_fees_btc": "NODE", "btc_price_avg_usd": "YF"},
    }
    created = client.put(URL, json=body, headers=auth)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    stored = json.loads(created.content, parse_float=Decimal)
    assert stored["network_fees_btc"] == Decimal("120.12345678") and stored["btc_price_close_usd"] is None
    assert stored["sources"]["network_fees_btc"]["source"] == "NODE"
    assert stored["sources"]["btc_price_avg_usd"]["licence"].startswith("YF:")
    assert get_data_revision(session=db_session).revision > before
    # Replacing needs the ETag: 428 without, 412 with a stale one.
    missing = client.put(URL, json=body, headers=auth)
    assert missing.status_code == 428 and missing.headers["etag"] == etag
    changed = {**body, "btc_price_close_usd": "82000", "sources": None}
    updated = client.put(URL, json=changed, headers={**auth, "If-Match": etag})
    assert updated.status_code == 200 and updated.headers["etag"] != etag
    stale = client.put(URL, json=changed, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert client.put(URL, json=body, headers={**auth, "If-None-Match": "*"}).status_code == 412
    # GET with its ETag, 304 when unchanged.
    got = client.get(URL)
    assert got.status_code == 200 and got.headers["etag"] == updated.headers["etag"]
    assert client.get(URL, headers={"If-None-Match": got.headers["etag"]}).status_code == 304
    in_order = select(AuditEntry).where(AuditEntry.entity == "network_month").order_by(AuditEntry.id)
    entries = db_session.scalars(in_order).all()
    assert [e.action.value for e in entries] == ["create", "update"]
    assert entries[1].actor_label == "token:feed" and Decimal(entries[1].after["btc_price_close_usd"]) == 82000


def test_a_left_out_figure_becomes_a_gap_and_a_changed_one_loses_its_old_source(
    client: TestClient, db_session: Session
) -> None:
    make_network_month(
        db_session,
        period=dt.date(2025, 3, 1),
        network_hashrate_avg_ehs=Decimal(800),
        btc_price_avg_usd=Decimal(80000),
        figure_sources={
            "network_hashrate_avg_ehs": {"source": "CM", "source_url": "https://example.test/cm"},
            "btc_price_avg_usd": {"source": "YF", "source_url": "https://example.test/yf"},
        },
    )
    auth = _auth(db_session)
    etag = client.get(URL).headers["etag"]
    response = client.put(URL, json={"network_hashrate_avg_ehs": "801"}, headers={**auth, "If-Match": etag})
    assert response.status_code == 200, response.text
    row = db_session.scalar(select(NetworkMonth).where(NetworkMonth.period == dt.date(2025, 3, 1)))
    assert row is not None and row.btc_price_avg_usd is None  # left out: null, never 0
    assert row.network_hashrate_avg_ehs == Decimal(801) and row.figure_sources == {}
    network = client.get("/api/v1/network/monthly?from=2025-03&to=2025-03&provenance=true").json()["data"][0]
    assert network["btc_price_avg_usd"] is None and network["hashprice_usd_per_ph_day"] is None


def test_put_refuses_bad_input_and_company_tokens(client: TestClient, db_session: Session) -> None:
    company = make_company(db_session)
    assert client.put(URL, json={}).status_code == 401
    limited = client.put(URL, json={}, headers=_auth(db_session, company=company))
    assert limited.status_code == 403
    auth = _auth(db_session)
    negative = client.put(URL, json={"network_fees_btc": "-1"}, headers=auth)
    assert negative.status_code == 422 and negative.json()["errors"][0]["path"] == "body.network_fees_btc"
    unknown = client.put(URL, json={"sources": {"btc_mined": "X"}}, headers=auth)
    assert unknown.status_code == 422
    future = client.put("/api/v1/network/monthly/2099-01", json={}, headers=auth)
    assert future.status_code == 422
    assert client.get("/api/v1/network/monthly/2025-04").status_code == 404
    spec = client.get("/openapi.json").json()
    assert "put" in spec["paths"]["/api/v1/network/monthly/{period}"]
    assert "NetworkMonthWrite" in spec["components"]["schemas"]


REFERENCE = (
    "period,difficulty_avg_t,difficulty_end_t,hashrate_avg_ehs,blocks,subsidy_btc,fees_btc,btc_usd_avg,"
    "btc_usd_close,hashprice_usd_per_ph_day,sources\n"
    "2025-01,109.8301,108.1054,780.84,4434,13856.25,203.87409655,99992.85,102405.02,58.08,"
    "blk/sub/fee=CM;diff/hash=CM;px=YF\n"
    "2025-02,,,,,,,95290.71,84373.01,,px=YF\n"
)


def test_admin_import_dry_run_then_confirm(admin_client: TestClient, db_session: Session) -> None:
    make_network_month(db_session, period=dt.date(2025, 1, 1), network_hashrate_avg_ehs=Decimal(785))
    files = {"file": ("reference.csv", REFERENCE.encode(), "text/csv")}
    dry = admin_client.post("/staff/admin/network/import", files=files)
    assert dry.status_code == 200, dry.text
    assert "<strong>1</strong> new, <strong>1</strong> changed" in dry.text
    assert "network_hashrate_avg_ehs: 785 → 780.84" in dry.text
    assert db_session.scalar(select(NetworkMonth).where(NetworkMonth.period == dt.date(2025, 2, 1))) is None
    fields = dict(
        (name, value)
        for name, value in ((n, _hidden(dry.text, n)) for n in ("content", "digest", "signature", "filename"))
    )
    done = admin_client.post("/staff/admin/network/import/confirm", data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("imported=1-1")
    january = db_session.scalar(select(NetworkMonth).where(NetworkMonth.period == dt.date(2025, 1, 1)))
    assert january is not None and january.network_blocks == 4434
    assert january.figure_sources["network_fees_btc"]["source"] == "CM"
    february = db_session.scalar(select(NetworkMonth).where(NetworkMonth.period == dt.date(2025, 2, 1)))
    assert february is not None and february.network_hashrate_avg_ehs is None  # a gap stays a gap
    again = admin_client.post("/staff/admin/network/import/confirm", data=fields)
    assert again.status_code == 409  # the stored figures changed since that dry run
    bad = admin_client.post(
        "/staff/admin/network/import", files={"file": ("x.csv", b"period,fees_btc\n2025-03,lots\n", "text/csv")}
    )
    assert bad.status_code == 422 and "not a number" in bad.text


def _hidden(page: str, name: str) -> str:
    import html
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


def test_admin_month_form_with_version_check(admin_client: TestClient, db_session: Session) -> None:
    row = make_network_month(db_session, period=dt.date(2025, 1, 1), network_hashrate_avg_ehs=Decimal(785))
    page = admin_client.get("/staff/admin/network/2025-01")
    assert page.status_code == 200 and 'value="785"' in page.text
    form = {"version": str(row.version), "network_hashrate_avg_ehs": "780.84", "btc_price_close_usd": "102405.02"}
    saved = admin_client.post("/staff/admin/network/2025-01", data=form, follow_redirects=False)
    assert saved.status_code == 303
    stale = admin_client.post("/staff/admin/network/2025-01", data=form)
    assert stale.status_code == 409 and "Someone saved this month meanwhile" in stale.text
    invalid = admin_client.post("/staff/admin/network/new", data={"period": "2025-02", "network_fees_btc": "-3"})
    assert invalid.status_code == 422 and 'aria-invalid="true"' in invalid.text
    added = admin_client.post(
        "/staff/admin/network/new", data={"period": "2025-02", "btc_price_avg_usd": "95290.71"}, follow_redirects=False
    )
    assert added.status_code == 303
    listing = admin_client.get("/staff/admin/network")
    assert listing.status_code == 200 and "2025-02" in listing.text and "102405.02" in listing.text
    export = admin_client.get("/staff/admin/network/export.csv")
    assert export.text.splitlines()[0].startswith("period,network_hashrate_avg_ehs (EH/s),")


def test_editors_cannot_open_the_network_admin(editor_client: TestClient) -> None:
    assert editor_client.get("/staff/admin/network").status_code == 403


def test_import_network_command(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'net.db'}"}
    assert _run("migrate", env=env).returncode == 0
    path = tmp_path / "reference.csv"
    path.write_text(REFERENCE, encoding="utf-8")
    dry = _run("import-network", str(path), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: 2 new, 0 changed, 0 unchanged; nothing written" in dry.stdout
    done = _run("import-network", str(path), env=env)
    assert done.returncode == 0 and "2 added, 0 updated" in done.stdout
    again = _run("import-network", str(path), env=env)
    assert "0 added, 0 updated (0 new, 0 changed, 2 unchanged)" in again.stdout
    path.write_text("period,fees_btc\n2025-01,-5\n", encoding="utf-8")
    refused = _run("import-network", str(path), env=env)
    assert refused.returncode == 1 and "nothing imported" in refused.stderr
