from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.http import health
from app.store.db import make_engine


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text


def test_readyz_503_when_database_unreachable(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    monkeypatch.setattr(health, "get_engine", lambda: dead)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "cannot reach database" in response.json()["detail"]


def test_readyz_503_when_not_migrated(client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(health, "get_engine", lambda: empty)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "minedash migrate" in response.json()["detail"]
