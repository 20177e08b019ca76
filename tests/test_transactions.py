"""A commit that fails reaches the client as an error, never as a success."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.http.deps import SessionDep
from app.store import db, migrate
from app.store.models import Company


def test_failing_commit_is_an_error_response(tmp_path: Path, monkeypatch) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'commit.db'}")
    migrate.upgrade(engine)
    from sqlalchemy.orm import sessionmaker

    monkeypatch.setattr(db, "get_sessionmaker", lambda: sessionmaker(bind=engine, expire_on_commit=False))
    app = FastAPI()

    @app.post("/companies")
    def create(session: SessionDep) -> dict[str, str]:
        # Violates the check constraint only when flushed, i.e. at commit time.
        session.add(Company(slug="", name="No slug"))
        return {"status": "saved"}

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/companies")
    assert response.status_code == 500
    assert "saved" not in response.text
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM company").scalar() == 0
    engine.dispose()
