"""Login limits that hold under parallel requests, and password hashing that cannot exhaust a worker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete

from app.http import auth
from app.main import create_app
from app.settings import get_settings
from app.store.models import LoginAttempt


@pytest.fixture
def committing_app(engine: Engine) -> Iterator[FastAPI]:
    """The app on the real database, every request committing: parallel requests see each other's writes."""
    yield create_app(check_database_on_startup=False)


def test_parallel_wrong_passwords_let_at_most_the_limit_through(committing_app: FastAPI, engine: Engine) -> None:
    email = f"parallel-{uuid.uuid4().hex[:8]}@example.com"
    limit = get_settings().login_max_failures_per_account
    start = threading.Barrier(20)

    def attempt(_: int) -> int:
        with TestClient(committing_app, base_url="http://testserver") as client:
            start.wait(timeout=30)
            return client.post("/staff/login", data={"email": email, "password": "wrong password here"}).status_code

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(attempt, range(20)))
    finally:
        with engine.begin() as conn:
            conn.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    assert set(statuses) <= {400, 429}, statuses
    assert statuses.count(400) == limit, statuses
    assert statuses.count(429) == 20 - limit


def test_a_login_storm_waits_for_a_hashing_slot_then_answers_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(auth, "_hash_slots", lambda: slots)
    monkeypatch.setattr(get_settings(), "password_hash_wait_seconds", 0.05)
    auth.dummy_hash()  # computed once and cached, before every slot is taken
    assert slots.acquire(timeout=1)  # another login holds the only slot
    try:
        busy = client.post("/staff/login", data={"email": "a@example.com", "password": "wrong password here"})
    finally:
        slots.release()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "2"
    assert "Too many logins at once" in busy.text
    after = client.post("/staff/login", data={"email": "a@example.com", "password": "wrong password here"})
    assert after.status_code == 400
