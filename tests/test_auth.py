"""Login, logout and the role dependencies."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.http.auth import hash_password, verify_password
from app.store.models import UserRole
from app.store.sessions import COOKIE_NAME
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD, make_user


def test_password_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password("a long enough passphrase", hashed)
    assert not verify_password("a long enough passphrasE", hashed)
    assert not verify_password("anything", "not a hash")


def test_login_sets_an_httponly_lax_cookie_and_redirects_to_staff(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    response = log_in(client, user.email.upper(), DEFAULT_PASSWORD)
    assert response.headers["location"] == "/staff/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here
    page = client.get("/staff/")
    assert page.status_code == 200
    assert user.email in page.text


def test_editor_and_admin_fixtures(editor_client: TestClient, admin_client: TestClient) -> None:
    assert editor_client.get("/staff/").status_code == 200
    assert editor_client.get("/staff/admin/", follow_redirects=False).status_code == 403
    assert admin_client.get("/staff/admin/").status_code == 200
    assert admin_client.user.role == UserRole.admin


def test_anonymous_is_sent_to_login_with_next(client: TestClient) -> None:
    response = client.get("/staff/admin/?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/admin/%3Fx%3D1"


def test_unknown_account_still_costs_a_password_check(client: TestClient, monkeypatch) -> None:
    import app.web.auth as web_auth
    from app.http.auth import dummy_hash

    checked: list[str] = []
    real = web_auth.verify_password

    def spy(password: str, password_hash: str) -> bool:
        checked.append(password_hash)
        return real(password, password_hash)

    monkeypatch.setattr(web_auth, "verify_password", spy)
    response = client.post("/staff/login", data={"email": "nobody@example.com", "password": "whatever it is"})
    assert response.status_code == 400
    assert checked == [dummy_hash()]


def test_disabled_account_with_the_right_password_gets_the_generic_message(
    client: TestClient, db_session: Session
) -> None:
    user = make_user(db_session, is_active=False)
    response = client.post("/staff/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "Wrong e-mail address or password." in response.text
    assert COOKIE_NAME not in response.headers.get("set-cookie", "")


def test_resetting_ones_own_password_logs_out_everywhere(admin_client: TestClient) -> None:
    me = admin_client.user
    new = "my own new passphrase"
    response = admin_client.post(
        f"/staff/admin/users/{me.id}",
        data={"action": "password", "password": new, "password_confirm": new},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    assert admin_client.get("/staff/admin/", follow_redirects=False).status_code == 303
    log_in(admin_client, me.email, new)


def test_staff_layout_shows_admin_links_only_to_admins(editor_client: TestClient, admin_client: TestClient) -> None:
    editor_page = editor_client.get("/staff/").text
    admin_page = admin_client.get("/staff/").text
    assert 'href="/staff/admin/"' not in editor_page and 'href="/staff/admin/"' in admin_page
    for page in (editor_page, admin_page):
        assert 'action="/staff/logout"' in page and 'method="post"' in page
