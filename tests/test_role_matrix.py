"""Who may open what under /staff/, for every staff route the app has (walked from `app.routes`).

The rule: /staff/login (and logging out) is public; /staff/admin/ and /staff/tokens are for admins; every
other /staff/ path is for editors and admins. Anonymous visitors and disabled users are sent to the login page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.http.auth import EditorUser
from app.store.models import User, UserRole
from tests.conftest import log_in
from tests.factories import (
    DEFAULT_PASSWORD,
    make_company,
    make_event,
    make_network_month,
    make_site,
    make_site_month,
    make_user,
)
from tests.route_walk import UNSAFE, RouteCall, route_calls

PUBLIC = {"/staff/login", "/staff/logout"}


def is_admin_only(template: str) -> bool:
    return template.startswith(("/staff/admin/", "/staff/tokens"))


def staff_calls(app: FastAPI, values: dict[str, str], methods: set[str]) -> list[RouteCall]:
    calls = [
        c
        for c in route_calls(app, values, methods=methods)
        if c.template.startswith("/staff/") and c.template not in PUBLIC
    ]
    assert calls, "no staff route found"
    return calls


@pytest.fixture
def values(db_session: Session) -> dict[str, str]:
    company = make_company(db_session, slug="acme")
    site = make_site(db_session, company, slug="rockdale")
    make_site_month(db_session, site)
    event = make_event(db_session, company_id=company.id, title="Expansion")
    make_network_month(db_session, period=dt.date(2025, 1, 1))
    other = make_user(db_session, email="other@example.com")
    return {
        "slug": company.slug,
        "company_slug": company.slug,
        "site_slug": site.slug,
        "period": "2025-01",
        "event_id": str(event.id),
        "user_id": str(other.id),
        "site_id": str(site.id),
        "id": str(other.id),
    }


def _client(app: FastAPI, db_session: Session, role: str) -> Iterator[tuple[TestClient, User | None]]:
    # Server errors become responses: this test is about who gets in, and reports every route at once.
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        if role == "anonymous":
            yield client, None
            return
        user = make_user(db_session, role=UserRole.admin if role == "admin" else UserRole.editor)
        log_in(client, user.email, DEFAULT_PASSWORD)
        if role == "disabled":
            # The flag alone must lock the door, even with the session row still open.
            user.is_active = False
            db_session.flush()
        yield client, user


def _sent_to_login(response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def _expected(role: str, call: RouteCall) -> str:
    if role in ("anonymous", "disabled"):
        return "login"
    if role == "editor" and is_admin_only(call.template):
        return "forbidden"
    return "allowed"


def _outcome(response) -> str:
    if _sent_to_login(response) or response.status_code == 401:
        return "login"
    if response.status_code == 403:
        return "forbidden"
    return "allowed"


@pytest.mark.parametrize("role", ["anonymous", "disabled", "editor", "admin"])
def test_every_staff_page_get(role: str, app: FastAPI, db_session: Session, values: dict[str, str]) -> None:
    wrong: list[str] = []
    server_errors: list[str] = []
    for client, _user in _client(app, db_session, role):
        for call in staff_calls(app, values, {"GET"}):
            response = client.get(call.path, follow_redirects=False)
            expected, got = _expected(role, call), _outcome(response)
            if got != expected:
                wrong.append(f"{call.path}: expected {expected}, got {response.status_code}")
            elif expected == "login":
                assert response.headers["location"].startswith("/staff/login?next="), call.path
            if response.status_code >= 500:
                server_errors.append(f"{call.path}: {response.status_code}")
            if expected == "allowed" and response.status_code == 404:
                wrong.append(f"{call.path}: 404 (the walk's values did not fit; extend the fixture)")
    assert wrong == []
    assert server_errors == []


@pytest.mark.parametrize("role", ["anonymous", "disabled", "editor"])
def test_every_staff_write_is_refused_to_those_not_allowed(
    role: str, app: FastAPI, db_session: Session, values: dict[str, str]
) -> None:
    wrong: list[str] = []
    for client, _user in _client(app, db_session, role):
        for call in staff_calls(app, values, UNSAFE):
            expected = _expected(role, call)
            if expected == "allowed":
                continue
            response = client.request(
                call.method, call.path, data={"action": "disable", "name": "x"}, follow_redirects=False
            )
            got = _outcome(response)
            if got != expected:
                wrong.append(f"{call.method} {call.path}: expected {expected}, got {response.status_code}")
    assert wrong == []


def test_login_page_is_public(client: TestClient) -> None:
    assert client.get("/staff/login").status_code == 200


def test_logged_in_user_visiting_login_goes_to_staff(editor_client: TestClient) -> None:
    response = editor_client.get("/staff/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/"


def test_api_paths_answer_401_not_a_redirect(app: FastAPI, client: TestClient) -> None:
    # An /api/ route guarded by EditorUser answers JSON, not the login page.
    router = APIRouter()

    @router.get("/api/v1/_whoami_probe")
    def probe(user: EditorUser) -> dict[str, str]:
        return {"email": user.email}

    app.include_router(router)
    response = client.get("/api/v1/_whoami_probe")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
