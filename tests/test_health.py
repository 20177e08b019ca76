from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from app.http import health
from app.store.db import make_engine


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text


def _not_ready(client: TestClient, caplog: pytest.LogCaptureFixture) -> tuple[str, str]:
    """The body of /readyz (which must be a 503) and what was logged about it."""
    logger = logging.getLogger("minedash")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="minedash.health"):
            response = client.get("/readyz")
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.headers["cache-control"] == "no-store"
    return response.text, "\n".join(r.getMessage() for r in caplog.records if r.name == "minedash.health")


def test_readyz_503_when_database_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    dead = make_engine("postgresql+psycopg://secretuser@127.0.0.1:9/secretdb")
    monkeypatch.setattr(health, "get_engine", lambda: dead)
    body, logged = _not_ready(client, caplog)
    # Nothing about where the database is goes to an anonymous caller; the operator reads it in the log.
    for private in ("secretuser", "secretdb", "127.0.0.1", ":9"):
        assert private not in body
    assert "cannot reach database" in logged and "secretdb" in logged


def test_readyz_503_when_not_migrated(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(health, "get_engine", lambda: empty)
    body, logged = _not_ready(client, caplog)
    assert "empty.db" not in body and str(tmp_path) not in body and "migrat" in body
    assert "minedash migrate" in logged
