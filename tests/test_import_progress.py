"""A large import applies with visible progress: the streamed confirm page (web) and progress lines (shell)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.store.models import Company, RecordStatus, Site, SiteMonth
from app.store.queries import imports as import_queries
from app.store.queries import months as month_queries
from tests.test_import import _confirm, _upload

LONG_HEADER = "period,site,metric,value\n"


def _long_file(years: int, sites: tuple[str, ...]) -> str:
    lines = [LONG_HEADER.rstrip("\n")]
    for index in range(years * 12):
        year, month = 2015 + index // 12, index % 12 + 1
        for site in sites:
            lines.append(f'{year}-{month:02d},{site},btc_mined,"1,012.5"')
            lines.append(f"{year}-{month:02d},{site},hashrate_avg_ehs,1.25")
    return "\n".join(lines) + "\n"


def _count(db_session: Session, company: Company) -> int:
    db_session.expire_all()
    stmt = select(func.count()).select_from(SiteMonth).join(Site).where(Site.company_id == company.id)
    return db_session.scalar(stmt) or 0


def test_a_large_import_streams_its_progress_then_the_outcome(
    editor_client: TestClient, db_session: Session, acme: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.web.import_progress.STREAM_FROM_ROWS", 20)
    monkeypatch.setattr("app.web.staff_import.STREAM_FROM_ROWS", 20)
    dry = _upload(editor_client, _long_file(2, ("alpha", "beta")))
    assert dry.status_code == 200 and "<strong>48</strong> new" in dry.text
    response = _confirm(editor_client, dry.text, publish="on")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    html = response.text
    steps = [tuple(map(int, m)) for m in re.findall(r'<progress value="(\d+)" max="(\d+)"', html)]
    assert steps and steps[-1] == (48, 48)
    assert all(total == 48 for _, total in steps) and [d for d, _ in steps] == sorted(d for d, _ in steps)
    # The outcome comes after the commit, inside the page (the page's end is still sent).
    assert "Imported: 48 new, 0 changed, 48 published." in html and html.rstrip().endswith("</html>")
    assert html.index("committing") < html.index("Imported:")
    assert _count(db_session, acme) == 48
    row = db_session.scalar(select(SiteMonth).order_by(SiteMonth.period).limit(1))
    assert row is not None and row.btc_mined == Decimal("1012.5") and row.status == RecordStatus.published


def test_a_streamed_import_that_fails_halfway_saves_nothing_and_says_so(
    editor_client: TestClient, db_session: Session, acme: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.web.staff_import.STREAM_FROM_ROWS", 20)
    real_save = month_queries.save_site_month
    calls = {"n": 0}

    def save_then_conflict(**kwargs: object) -> SiteMonth:
        calls["n"] += 1
        if calls["n"] == 30:  # someone saved this month meanwhile
            raise month_queries.VersionConflict(None, 1)
        return real_save(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(import_queries.month_queries, "save_site_month", save_then_conflict)
    dry = _upload(editor_client, _long_file(2, ("alpha", "beta")))
    html = _confirm(editor_client, dry.text).text
    assert "Someone saved some of these months meanwhile: nothing was imported." in html
    assert 'role="alert"' in html and "Imported:" not in html
    assert _count(db_session, acme) == 0


def test_a_small_import_still_redirects(editor_client: TestClient, acme: Company) -> None:
    dry = _upload(editor_client, _long_file(1, ("alpha",)))
    response = _confirm(editor_client, dry.text)
    assert response.status_code == 303 and "imported=12-0-0" in response.headers["location"]


def test_progress_is_reported_for_every_saved_row(db_session: Session, acme: Company) -> None:
    from app.domain.actors import Actor
    from app.schemas.csv_months import parse_csv

    parsed = parse_csv(_long_file(1, ("alpha", "beta")).encode())
    plan = import_queries.plan_import(session=db_session, company=acme, parsed=parsed)
    seen: list[tuple[int, int]] = []
    import_queries.apply_import(
        session=db_session,
        company=acme,
        plan=plan,
        actor=Actor.system("test"),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(n, 24) for n in range(1, 25)]
