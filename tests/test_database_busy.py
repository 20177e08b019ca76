"""A database that cannot serve right now (locked, busy, unreachable) is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from app.store import migrate, queries
from app.store.db import begin_writing, make_engine, unavailable_reason
from app.store.models import Company
from tests.factories import make_company

LOCKED = OperationalError("UPDATE data_revision", {}, sqlite3.OperationalError("database is locked"))


def _failing_revision_read(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    def fail(*, session: Session) -> None:
        raise exc

    monkeypatch.setattr(queries, "get_data_revision", fail)


@pytest.mark.parametrize(
    "exc",
    [
        LOCKED,
        OperationalError("SELECT 1", {}, psycopg.errors.LockNotAvailable("could not obtain lock")),
        PoolTimeoutError("QueuePool limit of size 40 overflow 10 reached"),
    ],
    ids=["sqlite-locked", "postgres-lock-timeout", "pool-exhausted"],
)
def test_the_api_answers_503_with_retry_after(
    client: TestClient, db_session: Session, monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    make_company(db_session, slug="busy")
    _failing_revision_read(monkeypatch, exc)
    response = client.get("/api/v1/companies/busy/monthly")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503 and "try again" in response.json()["detail"]


def test_a_page_answers_the_error_page_with_503(
    client: TestClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_company(db_session, slug="busy")
    _failing_revision_read(monkeypatch, LOCKED)
    response = client.get("/companies/busy")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"].startswith("text/html")
    assert "try again in a moment" in response.text


def test_other_database_errors_stay_500(app, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    make_company(db_session, slug="broken")
    _failing_revision_read(monkeypatch, OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/companies/broken/monthly").status_code == 500
        page = client.get("/companies/broken")
    assert page.status_code == 500 and "retry-after" not in page.headers


def test_unavailable_reason_tells_locks_from_bugs() -> None:
    assert "locked" in (unavailable_reason(LOCKED) or "")
    assert unavailable_reason(OperationalError("x", {}, sqlite3.OperationalError("no such column: y"))) is None
    assert unavailable_reason(ValueError("not a database error")) is None


def test_the_cli_turns_a_locked_database_into_one_line(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock past the command's busy timeout
    try:
        env = {**os.environ, "ENVIRONMENT": "development", "DATABASE_URL": f"sqlite:///{path}?timeout=0.3"}
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "create-token", "--name", "ci", "--scope", "read"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("minedash: error: database sqlite:///")
    assert "locked" in lines[0] and "Traceback" not in result.stderr


def test_a_writing_session_holds_the_sqlite_write_lock_from_its_first_statement(tmp_path: Path) -> None:
    path = tmp_path / "writer.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)

    def other_can_write() -> bool:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        other.execute("ROLLBACK")
        return True

    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with Session(engine) as reader:
            reader.execute(select(Company)).all()
            assert other_can_write(), "a reading session must not hold the write lock"
        with Session(engine) as writer:
            begin_writing(writer)
            writer.execute(select(Company)).all()  # reads first, as a request does, yet already holds the lock
            assert not other_can_write()
            writer.rollback()
        assert other_can_write()
    finally:
        other.close()
        engine.dispose()
