"""Backups round-trip: `minedash export` of a database and `minedash import-all` into an empty one give a
database whose every public page and API answer is the same, byte for byte.

The source and the restored database are databases of their own (a temporary SQLite file, or a temporary
Postgres database beside the one DATABASE_URL names), not the suite's rolled-back transaction: the commands
run as subprocesses against them, as an operator would run them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app import demo
from app.cache.revisions import make_revision_reader
from app.domain.actors import Actor
from app.domain.charts import OVERVIEW_CHARTS
from app.http.deps import get_session
from app.main import create_app
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.store import migrate
from app.store.backup import INCLUDED, NOT_INCLUDED, export_backup, restore_backup
from app.store.db import make_engine
from app.store.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Base,
    Company,
    CompanyMonth,
    DataRevision,
    EventKind,
    RecordStatus,
    Site,
    SiteMonth,
    TokenScope,
)
from app.store.queries.audit import record_audit
from app.store.queries.months import COMPANY_FIELDS, SITE_FIELDS, save_company_month, save_site_month
from tests.factories import make_company, make_event, make_network_month, make_site, make_site_month, make_user

BASE_URL = os.environ["DATABASE_URL"]
ON_POSTGRES = make_url(BASE_URL).get_backend_name() == "postgresql"
CORRECTION_REASON = "Treasury restated in the quarterly report"


class Databases:
    """Creates empty migrated databases of the suite's kind and drops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.created: list[tuple[str, Engine]] = []

    def new(self, *, migrated: bool = True) -> tuple[str, Engine]:
        name = f"mdbk_{uuid.uuid4().hex[:12]}"
        if ON_POSTGRES:
            admin = make_engine(BASE_URL).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{self.folder / name}.db"
        engine = make_engine(url)
        if migrated:
            migrate.upgrade(engine)
        self.created.append((name, engine))
        return url, engine

    def drop_all(self) -> None:
        for name, engine in self.created:
            engine.dispose()
            if ON_POSTGRES:
                admin = make_engine(BASE_URL).execution_options(isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("backup-dbs"))
    yield dbs
    dbs.drop_all()


def minedash(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENVIRONMENT": "development", "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minedash: error: "), result.stderr
    return lines[0]


def _correct(session: Session, row: CompanyMonth, actor: Actor, **changes: Any) -> None:
    data = CompanyMonthCreate(**{**{name: getattr(row, name) for name in COMPANY_FIELDS}, **changes})
    company = session.get(Company, row.company_id)
    assert company is not None
    save_company_month(
        session=session,
        company=company,
        period=row.period,
        data=data,
        actor=actor,
        expected_version=row.version,
        reason=CORRECTION_REASON,
    )


def seed_source(session: Session) -> dict[str, Any]:
    """The demo data, then what the demo lacks: a draft month, corrections with reasons, events, a second
    company with estimated and illustrative site figures, and accounts, sessions and tokens that must stay out."""
    demo.seed_demo(session=session)
    cleanspark = session.scalars(select(Company).where(Company.slug == "cleanspark")).one()
    georgia = session.scalars(select(Site).where(Site.slug == "georgia")).one()
    editor = make_user(session)
    actor = Actor.user(editor.id, editor.email)

    latest = session.scalars(
        select(CompanyMonth).where(CompanyMonth.company_id == cleanspark.id).order_by(CompanyMonth.period.desc())
    ).first()
    assert latest is not None and latest.status == RecordStatus.published
    _correct(session, latest, actor, btc_held_end=latest.btc_held_end + Decimal("1.23456789"))
    site_month = session.scalars(
        select(SiteMonth).where(SiteMonth.site_id == georgia.id).order_by(SiteMonth.period.desc())
    ).first()
    assert site_month is not None
    save_site_month(
        session=session,
        site=georgia,
        period=site_month.period,
        data=SiteMonthCreate(
            **{**{n: getattr(site_month, n) for n in SITE_FIELDS}, "uptime_pct": Decimal("97.125"), "note": "restated"}
        ),
        actor=actor,
        expected_version=site_month.version,
        reason=CORRECTION_REASON,
    )
    draft_period = dt.date(2026, 2, 1)
    save_company_month(
        session=session,
        company=cleanspark,
        period=draft_period,
        data=CompanyMonthCreate(btc_mined_total=Decimal("600.5"), note="not yet released", is_estimate=True),
        actor=actor,
        expected_version=None,
    )
    make_event(
        session,
        company_id=cleanspark.id,
        site_id=georgia.id,
        date=dt.date(2025, 6, 15),
        title="Heat wave curtailment",
        kind=EventKind.curtailment,
        source_url="https://example.com/heat",
        description="Grid asked for load reduction — 3 days",
    )

    other = make_company(session, slug="northern-hash", name="Northern Hash", ticker=None, fiscal_year_end_month=6)
    plant = make_site(session, other, slug="quebec", name="Québec plant", capacity_mw=Decimal("120.500"))
    for month in (1, 2, 3):
        make_site_month(
            session,
            plant,
            period=dt.date(2025, month, 1),
            btc_mined=Decimal(f"{month}.00000001"),
            is_estimate=month == 2,
            is_illustrative=month == 3,
            figure_sources={"btc_mined": {"source_url": "https://example.com/q1", "quote": "≈ 1 BTC"}},
            published_at=dt.datetime(2025, month + 1, 3, 14, 0, 0, 123456, tzinfo=dt.UTC),
        )
    make_event(session, date=dt.date(2028, 4, 1), title="Halving (expected)", kind=EventKind.halving)
    # A month before the demo's network reference (which starts in 2020-01).
    make_network_month(session, period=dt.date(2019, 6, 1), network_hashrate_avg_ehs=Decimal("180.125"))

    session.add(
        ApiToken(name="feeder", scope=TokenScope.write, token_hash="f" * 64, prefix="mdk_secret", company_id=other.id)
    )
    session.flush()
    return {
        "draft_period": draft_period,
        "corrected_period": latest.period,
        "password_hash": editor.password_hash,
        "token_hash": "f" * 64,
    }


@pytest.fixture(scope="module")
def round_trip(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    source_url, source = databases.new()
    with Session(source, expire_on_commit=False) as session, session.begin():
        seeded = seed_source(session)
    backup = tmp_path_factory.mktemp("backup") / "minedash-backup"
    exported = minedash("export", str(backup), url=source_url)
    assert exported.returncode == 0, exported.stderr
    target_url, target = databases.new()
    imported = minedash("import-all", str(backup), url=target_url)
    assert imported.returncode == 0, imported.stderr
    return {
        **seeded,
        "source": (source_url, source),
        "target": (target_url, target),
        "backup": backup,
        "export_out": exported.stdout,
        "import_out": imported.stdout,
    }


def test_every_table_is_either_backed_up_or_left_out_for_a_reason() -> None:
    included = {t.name for t in INCLUDED}
    assert not included & set(NOT_INCLUDED)
    assert included | set(NOT_INCLUDED) == set(Base.metadata.tables)


def test_the_backup_has_one_file_per_table_and_a_manifest(round_trip: dict[str, Any]) -> None:
    backup: Path = round_trip["backup"]
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["migration_revision"] == migrate.head_revision()
    assert sorted(p.name for p in backup.iterdir()) == sorted(["manifest.json", *(f"{t.name}.json" for t in INCLUDED)])
    _, source = round_trip["source"]
    with source.connect() as conn:
        for entry in manifest["tables"]:
            assert entry["rows"] == conn.scalar(text(f"SELECT count(*) FROM {entry['table']}")), entry
            assert entry["rows"] > 0, entry["table"]
    assert f"exported {sum(e['rows'] for e in manifest['tables'])} rows" in round_trip["export_out"]


def test_values_are_exact_text_and_zoned_timestamps(round_trip: dict[str, Any]) -> None:
    document = json.loads((round_trip["backup"] / "site_month.json").read_text())
    rows = [dict(zip(document["columns"], row, strict=True)) for row in document["rows"]]
    quebec = [r for r in rows if r["btc_mined"] == "1.00000001"]
    assert len(quebec) == 1
    assert quebec[0]["published_at"] == "2025-02-03T14:00:00.123456+00:00"
    assert quebec[0]["figure_sources"] == {"btc_mined": {"source_url": "https://example.com/q1", "quote": "≈ 1 BTC"}}
    assert all(r["created_at"].endswith("+00:00") for r in rows)


def test_nothing_secret_is_written(round_trip: dict[str, Any]) -> None:
    everything = "".join(p.read_text() for p in round_trip["backup"].iterdir())
    assert round_trip["password_hash"] not in everything
    assert round_trip["token_hash"] not in everything
    assert "mdk_secret" not in everything
    assert "password" not in everything


def test_the_restored_database_exports_the_same_files(round_trip: dict[str, Any], tmp_path: Path) -> None:
    target_url, _ = round_trip["target"]
    again = minedash("export", str(tmp_path / "again"), url=target_url)
    assert again.returncode == 0, again.stderr
    for table in INCLUDED:
        name = f"{table.name}.json"
        assert (tmp_path / "again" / name).read_bytes() == (round_trip["backup"] / name).read_bytes(), name
    first = json.loads((round_trip["backup"] / "manifest.json").read_text())
    second = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert second["data_revision"] == first["data_revision"] + 1


def test_the_restore_bumps_the_data_revision_once_past_the_old_one(round_trip: dict[str, Any]) -> None:
    _, source = round_trip["source"]
    _, target = round_trip["target"]
    with source.connect() as s, target.connect() as t:
        old = s.scalar(select(DataRevision.revision))
        new = t.scalar(select(DataRevision.revision))
        assert new == old + 1
        assert set(t.scalars(select(Company.changed_revision))) == {new}
        assert t.scalar(select(func.count()).select_from(ApiToken)) == 0
        assert t.scalar(select(func.count()).select_from(AuditEntry)) == s.scalar(
            select(func.count()).select_from(AuditEntry)
        )


def test_new_rows_after_a_restore_get_fresh_ids(round_trip: dict[str, Any]) -> None:
    """Postgres's sequences moved past the restored ids: the next insert does not collide."""
    _, target = round_trip["target"]
    with Session(target) as session:
        company = make_company(session)
        site = make_site(session, company)
        make_site_month(session, site)
        make_event(session, company_id=company.id)
        session.rollback()


@contextmanager
def client_for(url: str, engine: Engine) -> Iterator[TestClient]:
    from app.cache.responses import cache, index

    # Each app starts from nothing: an answer cached for one database must not be served for the other.
    cache.clear()
    index.clear()
    app = create_app(check_database_on_startup=False)
    maker = sessionmaker(bind=engine, expire_on_commit=False)

    def session_override() -> Iterator[Session]:
        session = maker()
        try:
            yield session
            session.commit()
        finally:
            session.close()

    app.dependency_overrides[get_session] = session_override
    app.state.revision_reader = make_revision_reader(url, engine)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    cache.clear()
    index.clear()


def public_paths(round_trip: dict[str, Any]) -> list[str]:
    _, source = round_trip["source"]
    with source.connect() as conn:
        sites = conn.execute(select(Company.slug, Site.slug).join(Site, Site.company_id == Company.id)).all()
    draft = round_trip["draft_period"].strftime("%Y-%m")
    corrected = round_trip["corrected_period"].strftime("%Y-%m")
    paths = {"/", "/companies", "/api/v1/companies", "/api/v1/network/monthly", "/api/v1/events", "/api/v1/metrics"}
    paths |= {"/api/v1/network/monthly?format=csv", "/api/v1/events?format=csv", "/openapi.json"}
    paths |= {"/compare?metric=btc_mined&company=cleanspark&company=northern-hash", "/compare.csv?metric=btc_mined"}
    for slug in ("cleanspark", "northern-hash"):
        company_paths = [
            f"/companies/{slug}",
            f"/companies/{slug}?range=all",
            f"/companies/{slug}?from=2024-01&to=2025-06",
            f"/api/v1/companies/{slug}",
            f"/api/v1/companies/{slug}/monthly",
            f"/api/v1/companies/{slug}/monthly?format=csv",
            f"/api/v1/companies/{slug}/sites",
            f"/api/v1/companies/{slug}/site-monthly",
            f"/api/v1/companies/{slug}/site-monthly?format=csv",
            f"/api/v1/companies/{slug}/monthly/{corrected}",
            f"/api/v1/companies/{slug}/monthly/{draft}",
            f"/api/v1/events?company={slug}",
        ]
        company_paths += [f"/companies/{slug}/charts/{chart}" for chart in OVERVIEW_CHARTS]
        company_paths += [f"/companies/{slug}/charts/{chart}.csv" for chart in OVERVIEW_CHARTS]
        paths |= set(company_paths)
    for slug, site in sites:
        paths |= {
            f"/companies/{slug}/sites/{site}",
            f"/companies/{slug}/sites/{site}?range=all",
            f"/api/v1/companies/{slug}/sites/{site}",
            f"/api/v1/companies/{slug}/sites/{site}/monthly",
            f"/api/v1/companies/{slug}/sites/{site}/monthly?format=csv",
            f"/api/v1/companies/{slug}/sites/{site}/monthly/2025-01",
        }
        paths |= {f"/companies/{slug}/sites/{site}/charts/{chart}.csv" for chart in OVERVIEW_CHARTS}
    return sorted(paths)


def answers(url: str, engine: Engine, paths: list[str]) -> dict[str, tuple[int, str, bytes]]:
    with client_for(url, engine) as client:
        out = {}
        for path in paths:
            response = client.get(path)
            out[path] = (response.status_code, response.headers.get("content-type", ""), response.content)
        return out


def _first_difference(
    before: dict[str, tuple[int, str, bytes]], after: dict[str, tuple[int, str, bytes]], paths: list[str]
) -> str:
    """The first differing lines of the first differing answer: what to look at when the test fails."""
    if not paths:
        return ""
    a, b = before[paths[0]], after[paths[0]]
    if a[:2] != b[:2]:
        return f"{paths[0]}: {a[:2]} != {b[:2]}"
    lines = difflib.unified_diff(
        a[2].decode("utf-8", "replace").splitlines(), b[2].decode("utf-8", "replace").splitlines(), lineterm="", n=1
    )
    return "\n".join(line[:300] for line in list(lines)[:20])


def test_every_public_page_and_api_answer_is_identical_after_a_restore(round_trip: dict[str, Any]) -> None:
    paths = public_paths(round_trip)
    before = answers(*round_trip["source"], paths)
    after = answers(*round_trip["target"], paths)
    different = [p for p in paths if before[p] != after[p]]
    assert not different, (
        f"answers differ after the restore: {different}\n{_first_difference(before, after, different)}"
    )
    found = [p for p in paths if before[p][0] == 200]
    assert len(found) > 60, found
    # What the data puts on the pages is there (the comparison would pass on two empty databases too).
    overview = before["/companies/cleanspark"][2].decode()
    assert CORRECTION_REASON in overview
    monthly = json.loads(before["/api/v1/companies/cleanspark/monthly"][2])
    assert monthly and before["/api/v1/companies/cleanspark/monthly/2026-02"][0] == 404
    assert b"Heat wave curtailment" in before["/api/v1/events"][2]
    assert b"1.00000001" in before["/api/v1/companies/northern-hash/sites/quebec/monthly?format=csv"][2]


def test_import_into_a_database_with_data_is_refused(round_trip: dict[str, Any]) -> None:
    target_url, target = round_trip["target"]
    with target.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(CompanyMonth))
    line = one_line_error(minedash("import-all", str(round_trip["backup"]), url=target_url))
    assert "not empty" in line
    with target.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CompanyMonth)) == before


def _copy(backup: Path, into: Path) -> Path:
    into.mkdir()
    for path in backup.iterdir():
        (into / path.name).write_bytes(path.read_bytes())
    return into


def test_a_changed_file_is_refused_and_nothing_is_written(
    round_trip: dict[str, Any], databases: Databases, tmp_path: Path
) -> None:
    tampered = _copy(round_trip["backup"], tmp_path / "tampered")
    months = tampered / "company_month.json"
    months.write_text(months.read_text().replace('"535.00000000"', '"635.00000000"', 1))
    url, engine = databases.new()
    line = one_line_error(minedash("import-all", str(tampered), url=url))
    assert "company_month.json does not match its SHA-256" in line
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Company)) == 0


def test_a_backup_of_another_migration_is_refused(
    round_trip: dict[str, Any], databases: Databases, tmp_path: Path
) -> None:
    older = _copy(round_trip["backup"], tmp_path / "older")
    manifest = json.loads((older / "manifest.json").read_text())
    manifest["migration_revision"] = "0002"
    (older / "manifest.json").write_text(json.dumps(manifest))
    url, engine = databases.new()
    line = one_line_error(minedash("import-all", str(older), url=url))
    assert "the backup is of migration 0002" in line and "minedash migrate --revision 0002" in line
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Company)) == 0
    unmigrated_url, _ = databases.new(migrated=False)
    assert "the database is at none" in one_line_error(
        minedash("import-all", str(round_trip["backup"]), url=unmigrated_url)
    )


def test_export_refuses_a_directory_with_files_in_it(round_trip: dict[str, Any]) -> None:
    source_url, _ = round_trip["source"]
    line = one_line_error(minedash("export", str(round_trip["backup"]), url=source_url))
    assert "is not an empty directory" in line


def test_a_trail_already_started_keeps_its_entries_and_the_restored_ones_follow(
    round_trip: dict[str, Any], databases: Databases
) -> None:
    """An admin made with `create-user` before the restore leaves an audit entry: both trails are kept."""
    _, engine = databases.new()
    with Session(engine) as session, session.begin():
        record_audit(
            session=session,
            actor=Actor.system("cli:create-user"),
            action=AuditAction.create,
            entity="app_user",
            entity_id=1,
        )
    with Session(engine) as session, session.begin():
        counts = restore_backup(round_trip["backup"], session=session)
    with Session(engine) as session:
        labels = session.scalars(select(AuditEntry.actor_label).order_by(AuditEntry.id)).all()
    assert labels[0] == "cli:create-user"
    assert len(labels) == counts["audit_entry"] + 1


def test_a_backup_moves_between_sqlite_and_postgres(round_trip: dict[str, Any], tmp_path: Path) -> None:
    """Restored into a SQLite file (from Postgres in the Postgres run), it exports the same files again."""
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        migrate.upgrade(engine)
        with Session(engine) as session, session.begin():
            restore_backup(round_trip["backup"], session=session)
        with Session(engine) as session, session.begin():
            export_backup(tmp_path / "again", session=session)
    finally:
        engine.dispose()
    for table in INCLUDED:
        name = f"{table.name}.json"
        assert (tmp_path / "again" / name).read_bytes() == (round_trip["backup"] / name).read_bytes(), name
