"""A user changing their own password."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.http.auth import verify_password
from app.store.models import UserSession
from app.store.sessions import COOKIE_NAME, hash_session_secret
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD

NEW = "another good passphrase"


def _change(client: TestClient, current: str, new: str = NEW, confirm: str | None = None):
    return client.post(
        "/staff/account",
        data={"current_password": current, "password": new, "password_confirm": new if confirm is None else confirm},
        follow_redirects=False,
    )


def test_change_keeps_this_session_and_ends_the_others(editor_client: TestClient, db_session: Session) -> None:
    user = editor_client.user
    other = TestClient(editor_client.app, base_url="http://testserver")
    log_in(other, user.email, DEFAULT_PASSWORD)
    assert editor_client.get("/staff/account").status_code == 200
    response = _change(editor_client, DEFAULT_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/staff/account?done=1"
    assert "Your password was changed" in editor_client.get(response.headers["location"]).text
    assert other.get("/staff/", follow_redirects=False).status_code == 303
    db_session.refresh(user)
    assert verify_password(NEW, user.password_hash)
    mine = hash_session_secret(editor_client.cookies.get(COOKIE_NAME))
    open_ids = db_session.scalars(
        select(UserSession.id).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()
    assert open_ids == [mine]


def test_wrong_current_password_is_refused_and_counted(editor_client: TestClient, db_session: Session) -> None:
    user = editor_client.user
    old_hash = user.password_hash
    response = _change(editor_client, "not my password")
    assert response.status_code == 422 and "This is not your current password." in response.text
    db_session.refresh(user)
    assert user.password_hash == old_hash
    for _ in range(4):
        _change(editor_client, "not my password")
    assert _change(editor_client, DEFAULT_PASSWORD).status_code == 429


def test_new_password_rules(editor_client: TestClient) -> None:
    assert "at least 12 characters" in _change(editor_client, DEFAULT_PASSWORD, "short").text
    assert "The two passwords differ." in _change(editor_client, DEFAULT_PASSWORD, NEW, NEW + "x").text


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/staff/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?next=/staff/account"
