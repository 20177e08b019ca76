"""Every unsafe request from another origin is refused by one global middleware, whatever the route.

The walk is built from `app.routes` at test time, so routes added later are covered without editing this file.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.http.origin import REFUSED_DETAIL, refusal_reason
from app.store.models import AuditEntry, Company, SiteMonth, User, UserRole
from app.store.sessions import COOKIE_NAME
from tests.factories import make_company, make_event, make_site, make_site_month, make_user
from tests.route_walk import UNSAFE, RouteCall, route_calls

CROSS_SITE_VARIANTS = {
    "both headers cross-site": {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    "fetch metadata cross-site only": {"Sec-Fetch-Site": "cross-site"},
    "fetch metadata same-site (a sibling subdomain)": {"Sec-Fetch-Site": "same-site"},
    "foreign Origin only": {"Origin": "https://evil.example"},
    "Origin null (sandboxed frame, data: URL)": {"Origin": "null"},
    "same host, other port": {"Origin": "http://testserver:8080"},
    "same host, other scheme": {"Origin": "https://testserver"},
    "same-origin claim with a foreign Origin": {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
}
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def walk_values(db_session: Session) -> dict[str, str]:
    company = make_company(db_session, slug="acme")
    site = make_site(db_session, company, slug="rockdale")
    make_site_month(db_session, site)
    event = make_event(db_session, company_id=company.id, title="Expansion")
    user = make_user(db_session)
    return {
        "slug": company.slug,
        "company_slug": company.slug,
        "site_slug": site.slug,
        "period": "2025-01",
        "event_id": str(event.id),
        "user_id": str(user.id),
        "site_id": str(site.id),
        "company_id": str(company.id),
        "id": str(user.id),
    }


def _unsafe_calls(app: FastAPI, values: dict[str, str]) -> list[RouteCall]:
    """Every path of the app with every unsafe method, declared or not (an undeclared one must not slip by)."""
    paths = sorted({call.path for call in route_calls(app, values)})
    return [RouteCall(method, path, path) for path in paths for method in sorted(UNSAFE)]


def _counts(db_session: Session) -> tuple[int, ...]:
    return tuple(
        db_session.scalar(select(func.count()).select_from(model)) or 0
        for model in (AuditEntry, Company, SiteMonth, User)
    )


def test_the_walk_sees_the_staff_and_api_routes(app: FastAPI, walk_values: dict[str, str]) -> None:
    declared = {(c.method, c.template) for c in route_calls(app, walk_values, methods=UNSAFE)}
    assert ("POST", "/staff/login") in declared
    assert ("POST", "/staff/admin/companies/{slug}") in declared
    assert len(_unsafe_calls(app, walk_values)) >= 4 * 20


def test_every_unsafe_route_refuses_a_cross_site_request(
    app: FastAPI, admin_client: TestClient, walk_values: dict[str, str], db_session: Session
) -> None:
    assert admin_client.cookies.get(COOKIE_NAME)  # a valid session rides along, as in a real attack
    before = _counts(db_session)
    not_refused: list[str] = []
    for call in _unsafe_calls(app, walk_values):
        for variant, headers in CROSS_SITE_VARIANTS.items():
            response = admin_client.request(
                call.method, call.path, headers=headers, data={"name": "x", "action": "disable"}, follow_redirects=False
            )
            expected_type = "application/problem+json" if call.path.startswith("/api/") else "text/html"
            if response.status_code != 403 or REFUSED_DETAIL not in response.text:
                not_refused.append(f"{call.method} {call.path} [{variant}] -> {response.status_code}")
            elif not response.headers["content-type"].startswith(expected_type):
                not_refused.append(
                    f"{call.method} {call.path} [{variant}] wrong type {response.headers['content-type']}"
                )
    assert not_refused == []
    # Nothing was written by any of them, and the session still works.
    db_session.expire_all()
    assert _counts(db_session) == before
    assert admin_client.get("/staff/admin/").status_code == 200


def test_positive_control_same_origin_is_not_refused_by_the_middleware(
    app: FastAPI, db_session: Session, walk_values: dict[str, str]
) -> None:
    from tests.conftest import log_in
    from tests.factories import DEFAULT_PASSWORD

    admin = make_user(db_session, role=UserRole.admin)
    calls = route_calls(app, walk_values, methods=UNSAFE)
    # Logging out ends the session the rest of the walk relies on: last.
    calls.sort(key=lambda c: c.path == "/staff/logout")
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as same_origin:
        log_in(same_origin, admin.email, DEFAULT_PASSWORD)
        refused = []
        for call in calls:
            response = same_origin.request(call.method, call.path, headers=SAME_ORIGIN, data={}, follow_redirects=False)
            if REFUSED_DETAIL in response.text:
                refused.append(f"{call.method} {call.path}")
        assert refused == []
        assert calls, "the walk found no unsafe route"


def test_requests_without_browser_headers_pass(client: TestClient, db_session: Session) -> None:
    # curl, scripts and the TestClient send neither Origin nor Sec-Fetch-Site.
    response = client.post("/staff/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400  # reached the route: a wrong password, not a refusal


def test_bearer_requests_without_a_cookie_pass_but_not_with_one(client: TestClient, db_session: Session) -> None:
    hostile = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Authorization": "Bearer abc"}
    response = client.post("/staff/login", data={"email": "a@example.com", "password": "x"}, headers=hostile)
    assert REFUSED_DETAIL not in response.text
    with_cookie = client.post(
        "/staff/login", data={"email": "a@example.com"}, headers={**hostile, "Cookie": f"{COOKIE_NAME}=x"}
    )
    assert with_cookie.status_code == 403


def test_api_paths_get_problem_json(client: TestClient) -> None:
    response = client.put("/api/v1/companies/acme/monthly/2025-01", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 403


def test_safe_methods_are_never_refused(client: TestClient) -> None:
    response = client.get("/staff/login", headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


def test_refusal_carries_the_security_headers(client: TestClient) -> None:
    response = client.post("/staff/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "content-security-policy" in response.headers and "x-request-id" in response.headers


def _scope(method: str, scheme: str, host: str, **headers: str) -> dict:
    raw = [(b"host", host.encode())] + [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "scheme": scheme, "path": "/staff/x", "headers": raw}


@pytest.mark.parametrize(
    ("scheme", "host", "origin", "refused"),
    [
        ("https", "staff.example", "https://staff.example", False),
        ("https", "staff.example", "https://staff.example:443", False),
        ("https", "staff.example:443", "https://staff.example", False),
        ("http", "127.0.0.1:8102", "http://127.0.0.1:8102", False),
        ("https", "Staff.Example", "https://staff.example", False),
        ("https", "staff.example", "http://staff.example", True),
        ("https", "staff.example", "https://staff.example.evil", True),
        ("https", "staff.example", "https://evil.staff.example", True),
        ("http", "[::1]:8102", "http://[::1]:8102", False),
        ("http", "[::1]:8102", "http://[::1]:8103", True),
    ],
)
def test_origin_comparison(scheme: str, host: str, origin: str, refused: bool) -> None:
    assert (refusal_reason(_scope("POST", scheme, host, origin=origin)) is not None) is refused


def test_forwarded_proto_from_the_proxy_decides_the_scheme(app: FastAPI, db_session: Session) -> None:
    # uvicorn --proxy-headers: behind TLS termination the request arrives over http with X-Forwarded-Proto.
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="*")
    with TestClient(proxied, base_url="http://staff.example") as behind_proxy:
        ok = behind_proxy.post(
            "/staff/login",
            data={"email": "a@example.com", "password": "x"},
            headers={"X-Forwarded-Proto": "https", "Origin": "https://staff.example"},
        )
        downgraded = behind_proxy.post(
            "/staff/login",
            data={"email": "a@example.com", "password": "x"},
            headers={"X-Forwarded-Proto": "https", "Origin": "http://staff.example"},
        )
    assert ok.status_code == 400 and REFUSED_DETAIL not in ok.text
    assert downgraded.status_code == 403
