"""Failed logins are limited per account and per IP, counted in the database, with one generic message."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.store.models import LoginAttempt, utcnow
from app.store.queries.users import login_retry_after, record_login_attempt
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD, make_user


def _attempt(client: TestClient, email: str, password: str = "wrong password here"):
    return client.post("/staff/login", data={"email": email, "password": password})


def test_same_message_for_unknown_account_and_wrong_password(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    unknown = _attempt(client, "nobody@example.com")
    wrong = _attempt(client, user.email)
    assert unknown.status_code == wrong.status_code == 400
    assert "Wrong e-mail address or password." in unknown.text
    assert unknown.text.replace("nobody@example.com", "X") == wrong.text.replace(user.email, "X")


def test_account_is_limited_after_five_failures_with_retry_after(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    for _ in range(5):
        assert _attempt(client, user.email).status_code == 400
    limited = _attempt(client, user.email, DEFAULT_PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins" in limited.text
    assert 'value="' + user.email + '"' in limited.text  # the page, with what was typed
    # Limited attempts are not counted (the lock does not extend itself) and not checked.
    assert (
        db_session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == user.email)) == 5
    )


def test_unknown_accounts_are_limited_the_same_way(client: TestClient) -> None:
    for _ in range(5):
        assert _attempt(client, "ghost@example.com").status_code == 400
    assert _attempt(client, "ghost@example.com").status_code == 429


def test_failures_age_out_of_the_window(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    old = utcnow() - dt.timedelta(minutes=16)
    for _ in range(5):
        record_login_attempt(session=db_session, ip="testclient", email=user.email, succeeded=False, now=old)
    log_in(client, user.email, DEFAULT_PASSWORD)


def test_success_resets_the_account_count(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    for _ in range(4):
        _attempt(client, user.email)
    log_in(client, user.email, DEFAULT_PASSWORD)
    for _ in range(4):
        assert _attempt(client, user.email).status_code == 400


def test_ip_limit_spans_accounts(db_session: Session) -> None:
    now = utcnow()
    for n in range(20):
        record_login_attempt(
            session=db_session, ip="203.0.113.9", email=f"user{n}@example.com", succeeded=False, now=now
        )
    assert login_retry_after(session=db_session, ip="203.0.113.9", email="fresh@example.com", now=now) is not None
    assert login_retry_after(session=db_session, ip="198.51.100.1", email="fresh@example.com", now=now) is None


def test_counts_come_from_the_database_not_the_process(client: TestClient, db_session: Session) -> None:
    # Attempts recorded by "another worker" (straight into the table) count here too.
    user = make_user(db_session)
    for _ in range(5):
        record_login_attempt(session=db_session, ip="192.0.2.1", email=user.email, succeeded=False)
    assert _attempt(client, user.email, DEFAULT_PASSWORD).status_code == 429


def test_missing_fields_are_422_with_messages(client: TestClient) -> None:
    response = client.post("/staff/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your e-mail address." in response.text and "Enter your password." in response.text


def test_oversized_password_is_refused_without_hashing(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    response = _attempt(client, user.email, "x" * 5000)
    assert response.status_code == 400
    huge = client.post("/staff/login", data={"email": user.email, "password": "x" * 200_000})
    assert huge.status_code == 400
