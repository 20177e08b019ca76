"""Server-side sessions: timeouts, logout, disabling, password resets, fixation, open redirects."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import User, UserSession, utcnow
from app.store.sessions import COOKIE_NAME, TOUCH_INTERVAL, hash_session_secret
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD, make_user


def _row(db_session: Session, client: TestClient) -> UserSession:
    secret = client.cookies.get(COOKIE_NAME)
    assert secret
    row = db_session.get(UserSession, hash_session_secret(secret))
    assert row is not None
    db_session.refresh(row)
    return row


def _is_logged_in(client: TestClient) -> bool:
    response = client.get("/staff/", follow_redirects=False)
    assert response.status_code in (200, 303)
    return response.status_code == 200


def test_cookie_holds_only_a_random_id_and_the_table_its_hash(editor_client: TestClient, db_session: Session) -> None:
    secret = editor_client.cookies.get(COOKIE_NAME)
    assert secret and len(secret) >= 40
    assert db_session.get(UserSession, secret) is None  # not stored in clear
    row = _row(db_session, editor_client)
    assert row.user_id == editor_client.user.id
    assert row.ended_at is None


def test_logout_is_a_post_and_ends_the_session_on_the_server(editor_client: TestClient, db_session: Session) -> None:
    secret = editor_client.cookies.get(COOKIE_NAME)
    assert editor_client.get("/staff/logout").status_code == 405
    response = editor_client.post("/staff/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?logged_out=1"
    row = db_session.get(UserSession, hash_session_secret(secret))
    db_session.refresh(row)
    assert row.ended_at is not None
    # Replaying the old cookie (as a thief would) no longer works.
    editor_client.cookies.set(COOKIE_NAME, secret, domain="testserver.local")
    assert not _is_logged_in(editor_client)


def test_login_issues_a_new_id_and_ends_the_browser_previous_session(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    log_in(client, user.email, DEFAULT_PASSWORD)
    first = client.cookies.get(COOKIE_NAME)
    log_in(client, user.email, DEFAULT_PASSWORD)
    second = client.cookies.get(COOKIE_NAME)
    assert first != second
    old = db_session.get(UserSession, hash_session_secret(first))
    db_session.refresh(old)
    assert old.ended_at is not None


def test_planted_cookie_is_not_adopted(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    client.cookies.set(COOKIE_NAME, "attacker-chosen-value", domain="testserver.local")
    log_in(client, user.email, DEFAULT_PASSWORD)
    assert client.cookies.get(COOKIE_NAME) != "attacker-chosen-value"


def test_idle_timeout(editor_client: TestClient, db_session: Session) -> None:
    row = _row(db_session, editor_client)
    row.last_seen_at = utcnow() - dt.timedelta(hours=2, minutes=1)
    db_session.flush()
    assert not _is_logged_in(editor_client)


def test_just_inside_the_idle_timeout_is_still_logged_in(editor_client: TestClient, db_session: Session) -> None:
    row = _row(db_session, editor_client)
    row.last_seen_at = utcnow() - dt.timedelta(hours=1, minutes=58)
    db_session.flush()
    assert _is_logged_in(editor_client)


def test_absolute_timeout_despite_activity(editor_client: TestClient, db_session: Session) -> None:
    row = _row(db_session, editor_client)
    row.created_at = utcnow() - dt.timedelta(hours=13)
    row.expires_at = utcnow() - dt.timedelta(minutes=1)
    db_session.flush()
    assert not _is_logged_in(editor_client)


def test_last_seen_is_written_at_most_once_a_minute(editor_client: TestClient, db_session: Session) -> None:
    row = _row(db_session, editor_client)
    seen = row.last_seen_at
    assert _is_logged_in(editor_client)
    db_session.refresh(row)
    assert row.last_seen_at == seen  # a request seconds later writes nothing
    row.last_seen_at = utcnow() - TOUCH_INTERVAL - dt.timedelta(seconds=5)
    db_session.flush()
    stale = row.last_seen_at
    assert _is_logged_in(editor_client)
    db_session.refresh(row)
    assert row.last_seen_at.replace(tzinfo=None) > stale.replace(tzinfo=None)


def test_disabling_a_user_ends_all_their_sessions(
    admin_client: TestClient, editor_client: TestClient, db_session: Session
) -> None:
    editor = editor_client.user
    second = TestClient(admin_client.app, base_url="http://testserver")
    log_in(second, editor.email, DEFAULT_PASSWORD)
    response = admin_client.post(f"/staff/admin/users/{editor.id}", data={"action": "disable"}, follow_redirects=False)
    assert response.status_code == 303
    open_rows = db_session.scalars(
        select(UserSession).where(UserSession.user_id == editor.id, UserSession.ended_at.is_(None))
    ).all()
    assert open_rows == []
    assert not _is_logged_in(editor_client)
    assert not _is_logged_in(second)
    # And a disabled account cannot log in again, with the same message as a wrong password.
    refused = editor_client.post("/staff/login", data={"email": editor.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 400 and "Wrong e-mail address or password." in refused.text


def test_disabled_flag_alone_locks_out_a_live_session(editor_client: TestClient, db_session: Session) -> None:
    # Even if a session row were somehow left open, the user's flag is checked on every request.
    user = db_session.get(User, editor_client.user.id)
    user.is_active = False
    db_session.flush()
    assert not _is_logged_in(editor_client)


def test_password_reset_by_an_admin_ends_the_sessions(
    admin_client: TestClient, editor_client: TestClient, db_session: Session
) -> None:
    editor = editor_client.user
    new_password = "a brand new passphrase"
    response = admin_client.post(
        f"/staff/admin/users/{editor.id}",
        data={"action": "password", "password": new_password, "password_confirm": new_password},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert not _is_logged_in(editor_client)
    fresh = TestClient(admin_client.app, base_url="http://testserver")
    bad = fresh.post("/staff/login", data={"email": editor.email, "password": DEFAULT_PASSWORD})
    assert bad.status_code == 400
    log_in(fresh, editor.email, new_password)


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/staff/companies/acme/months?x=1", "/staff/companies/acme/months?x=1"),
        ("https://evil.example/", "/staff/"),
        ("//evil.example/", "/staff/"),
        ("/\\evil.example/", "/staff/"),
        ("/\t/evil.example", "/staff/"),
        ("javascript:alert(1)", "/staff/"),
        ("/staff/login", "/staff/"),
    ],
)
def test_next_redirects_only_to_local_paths(
    client: TestClient, db_session: Session, next_value: str, expected: str
) -> None:
    user = make_user(db_session)
    response = client.post(
        "/staff/login",
        data={"email": user.email, "password": DEFAULT_PASSWORD, "next": next_value},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_login_page_carries_next_through_the_form(client: TestClient) -> None:
    redirect = client.get("/staff/admin/users", follow_redirects=False)
    page = client.get(redirect.headers["location"])
    assert page.status_code == 200
    assert 'name="next" value="/staff/admin/users"' in page.text


def test_secure_cookie_behind_an_https_proxy(app, db_session: Session) -> None:
    user = make_user(db_session)
    with TestClient(app, base_url="https://staff.example") as https_client:
        response = https_client.post(
            "/staff/login", data={"email": user.email, "password": DEFAULT_PASSWORD}, follow_redirects=False
        )
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_staff_pages_are_not_cached(editor_client: TestClient, client: TestClient) -> None:
    assert editor_client.get("/staff/").headers["cache-control"] == "no-store"
    assert client.get("/staff/login").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/healthz").headers.get("cache-control", "")


def test_old_attempts_and_sessions_are_pruned_at_login(client: TestClient, db_session: Session) -> None:
    from app.store.models import LoginAttempt
    from app.store.queries.users import record_login_attempt

    user = make_user(db_session)
    long_ago = utcnow() - dt.timedelta(days=40)
    record_login_attempt(session=db_session, ip="192.0.2.7", email="old@example.com", succeeded=False, now=long_ago)
    db_session.add(
        UserSession(
            id="0" * 64,
            user_id=user.id,
            csrf_token="x",
            created_at=long_ago,
            last_seen_at=long_ago,
            expires_at=long_ago + dt.timedelta(hours=12),
        )
    )
    db_session.flush()
    log_in(client, user.email, DEFAULT_PASSWORD)
    db_session.expire_all()
    assert db_session.get(UserSession, "0" * 64) is None
    assert db_session.scalars(select(LoginAttempt).where(LoginAttempt.email == "old@example.com")).all() == []
