"""Admin pages for accounts: add, role, disable and enable, reset password, and the last-admin guard."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.http.auth import verify_password
from app.store.models import AuditAction, User, UserRole
from app.store.queries.audit import list_audit_entries
from app.store.queries.users import get_user_by_email
from tests.conftest import log_in
from tests.factories import make_user

NEW_PASSWORD = "twelve chars or more"


def _new_user_form(**overrides: str) -> dict[str, str]:
    return {
        "email": "New.Person@Example.com",
        "role": "editor",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        **overrides,
    }


def test_users_list_shows_accounts(admin_client: TestClient, db_session: Session) -> None:
    other = make_user(db_session, email="someone@example.com", is_active=False)
    page = admin_client.get("/staff/admin/users")
    assert page.status_code == 200
    assert other.email in page.text and admin_client.user.email in page.text
    assert "disabled" in page.text


def test_add_user_then_they_can_log_in(admin_client: TestClient, db_session: Session, app) -> None:
    response = admin_client.post("/staff/admin/users/new", data=_new_user_form(), follow_redirects=False)
    assert response.status_code == 303
    user = get_user_by_email("new.person@example.com", session=db_session)
    assert user is not None and user.role == UserRole.editor and user.is_active
    assert user.password_hash.startswith("$argon2id$") and verify_password(NEW_PASSWORD, user.password_hash)
    [entry] = list_audit_entries(session=db_session, entity="app_user", entity_id=user.id)
    assert entry.action == AuditAction.create and entry.actor_id == admin_client.user.id
    assert "password_hash" not in entry.after and NEW_PASSWORD not in str(entry.after)
    with TestClient(app, base_url="http://testserver") as fresh:
        log_in(fresh, "NEW.person@example.com", NEW_PASSWORD)


def test_add_user_errors_beside_fields_without_echoing_passwords(admin_client: TestClient, db_session: Session) -> None:
    make_user(db_session, email="taken@example.com")
    cases = {
        "email": (_new_user_form(email="not-an-address"), "Enter an e-mail address"),
        "password": (_new_user_form(password="short", password_confirm="short"), "at least 12 characters"),
        "password_confirm": (_new_user_form(password_confirm=NEW_PASSWORD + "!"), "The two passwords differ."),
        "duplicate": (_new_user_form(email="TAKEN@example.com"), "already exists"),
        "role": (_new_user_form(role="superuser"), "Choose one of the options."),
    }
    for name, (form, message) in cases.items():
        response = admin_client.post("/staff/admin/users/new", data=form)
        assert response.status_code == 422, name
        assert message in response.text, name
        assert NEW_PASSWORD not in response.text, name
        assert f'value="{form["email"]}"' in response.text, name


def test_change_role_and_disable_enable(admin_client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    url = f"/staff/admin/users/{user.id}"
    assert admin_client.post(url, data={"action": "role", "role": "admin"}, follow_redirects=False).status_code == 303
    db_session.refresh(user)
    assert user.role == UserRole.admin
    assert admin_client.post(url, data={"action": "disable"}, follow_redirects=False).status_code == 303
    db_session.refresh(user)
    assert not user.is_active
    page = admin_client.get(url + "?done=disabled")
    assert "The account was disabled" in page.text
    assert admin_client.post(url, data={"action": "enable"}, follow_redirects=False).status_code == 303
    db_session.refresh(user)
    assert user.is_active
    actions = [
        (e.before, e.after)
        for e in reversed(list_audit_entries(session=db_session, entity="app_user", entity_id=user.id))
    ]
    assert actions[0][0]["role"] == "editor" and actions[0][1]["role"] == "admin"
    assert actions[1][1]["is_active"] is False and actions[2][1]["is_active"] is True


def _only_admin(db_session: Session, me: User) -> None:
    # Other tests (the browser ones) may have committed admins of their own; inside this test none is active.
    db_session.execute(update(User).where(User.id != me.id, User.role == UserRole.admin).values(is_active=False))
    db_session.flush()


def test_the_last_admin_cannot_disable_or_demote_themselves(admin_client: TestClient, db_session: Session) -> None:
    me = admin_client.user
    _only_admin(db_session, me)
    url = f"/staff/admin/users/{me.id}"
    for form in ({"action": "disable"}, {"action": "role", "role": "editor"}):
        response = admin_client.post(url, data=form)
        assert response.status_code == 422
        assert "last active admin" in response.text
    db_session.refresh(me)
    assert me.is_active and me.role == UserRole.admin


def test_with_a_second_admin_one_may_step_down(admin_client: TestClient, db_session: Session) -> None:
    make_user(db_session, role=UserRole.admin)
    me = admin_client.user
    response = admin_client.post(
        f"/staff/admin/users/{me.id}", data={"action": "role", "role": "editor"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    db_session.refresh(me)
    assert me.role == UserRole.editor
    assert admin_client.get("/staff/admin/users", follow_redirects=False).status_code == 403


def test_a_disabled_admin_does_not_count_as_the_remaining_admin(admin_client: TestClient, db_session: Session) -> None:
    _only_admin(db_session, admin_client.user)
    make_user(db_session, role=UserRole.admin, is_active=False)
    response = admin_client.post(f"/staff/admin/users/{admin_client.user.id}", data={"action": "disable"})
    assert response.status_code == 422


def test_password_reset_validation(admin_client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    old_hash = user.password_hash
    response = admin_client.post(
        f"/staff/admin/users/{user.id}", data={"action": "password", "password": "short", "password_confirm": "short"}
    )
    assert response.status_code == 422 and "at least 12 characters" in response.text
    db_session.refresh(user)
    assert user.password_hash == old_hash


def test_unknown_user_and_action(admin_client: TestClient) -> None:
    assert admin_client.get("/staff/admin/users/999999").status_code == 404
    me = admin_client.user
    assert admin_client.post(f"/staff/admin/users/{me.id}", data={"action": "explode"}).status_code == 400


def test_email_is_escaped_on_the_pages(admin_client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, email="<script>x</script>@example.com")
    for path in ("/staff/admin/users", f"/staff/admin/users/{user.id}"):
        page = admin_client.get(path)
        assert "<script>x</script>" not in page.text
        assert "&lt;script&gt;x&lt;/script&gt;@example.com" in page.text


def test_user_row_is_never_updated_with_the_hash_in_the_audit(admin_client: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    admin_client.post(
        f"/staff/admin/users/{user.id}",
        data={"action": "password", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    db_session.refresh(user)
    [entry] = list_audit_entries(session=db_session, entity="app_user", entity_id=user.id)
    assert user.password_hash not in str(entry.before) + str(entry.after)


def test_an_id_beyond_the_column_is_bad_input_not_a_server_error(admin_client) -> None:
    # Postgres would overflow on a 64-bit id; the route refuses it before any query.
    response = admin_client.get("/staff/admin/users/99999999999")
    assert response.status_code == 400
    assert admin_client.get("/staff/admin/users/2147483647").status_code == 404
