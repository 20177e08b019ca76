"""HEAD wherever GET works, OPTIONS that tells the truth, and a full `Allow` on every 405 (HTML ones too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.store.models import UserRole
from tests.conftest import log_in
from tests.factories import (
    DEFAULT_PASSWORD,
    make_company,
    make_company_month,
    make_event,
    make_network_month,
    make_site,
    make_site_month,
    make_user,
)
from tests.route_walk import route_calls

# Differ between any two responses.
VOLATILE = {"x-request-id", "date"}


@pytest.fixture
def values(db_session: Session) -> dict[str, str]:
    company = make_company(db_session, slug="acme")
    site = make_site(db_session, company, slug="rockdale")
    make_site_month(db_session, site)
    make_company_month(db_session, company)
    make_network_month(db_session)
    event = make_event(db_session, company_id=company.id, title="Expansion")
    other = make_user(db_session, email="other@example.com")
    return {
        "slug": "acme",
        "site": "rockdale",
        "site_slug": "rockdale",
        "period": "2025-01",
        "event_id": str(event.id),
        "user_id": str(other.id),
        "chart": "btc_mined",
    }


@pytest.fixture
def admin(app: FastAPI, db_session: Session) -> Iterator[TestClient]:
    user = make_user(db_session, role=UserRole.admin)
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, user.email, DEFAULT_PASSWORD)
        yield client


def _headers(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE}


def test_head_answers_wherever_get_does(app: FastAPI, admin: TestClient, values: dict[str, str]) -> None:
    checked = 0
    wrong: list[str] = []
    for call in route_calls(app, values, methods={"GET"}):
        if call.template.startswith("/static/vendor/plotly-"):
            continue  # versioned name: covered by test_assets
        get = admin.get(call.path, follow_redirects=False)
        head = admin.head(call.path, follow_redirects=False)
        if head.status_code != get.status_code:
            wrong.append(f"HEAD {call.path}: {head.status_code}, GET: {get.status_code}")
        elif head.content != b"":
            wrong.append(f"HEAD {call.path}: a body of {len(head.content)} bytes")
        elif _headers(head) != _headers(get) and "set-cookie" not in get.headers:
            wrong.append(f"HEAD {call.path}: headers differ: {_headers(head)} != {_headers(get)}")
        checked += 1
    assert wrong == []
    assert checked > 40


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/companies/acme",
        "/companies/acme/charts/btc_mined.csv",
        "/api/v1/companies/acme/monthly",
        "/api/v1/companies/acme/monthly?format=csv",
        "/api/v1/companies/acme/sites/rockdale/monthly/2025-01",
        "/healthz",
        "/readyz",
        "/static/css/app.css",
    ],
)
def test_head_has_the_get_headers_and_no_body(client: TestClient, values: dict[str, str], path: str) -> None:
    get = client.get(path, headers={"Accept-Encoding": "gzip"})
    head = client.head(path, headers={"Accept-Encoding": "gzip"})
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert _headers(head) == _headers(get)
    # The length of the body a GET would get, as sent (compressed or not).
    if "content-length" in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]
    # Cached (fast path) and conditional answers too.
    again = client.head(path, headers={"Accept-Encoding": "gzip"})
    assert again.status_code == 200 and again.content == b"" and _headers(again) == _headers(get)
    if "etag" in get.headers:
        not_modified = client.head(path, headers={"If-None-Match": get.headers["etag"]})
        assert not_modified.status_code == 304


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/companies/acme/monthly/2025-01", "GET, HEAD, PUT, OPTIONS"),
        ("/api/v1/companies/acme/sites/rockdale/monthly/2025-01", "GET, HEAD, PUT, OPTIONS"),
        ("/api/v1/companies/acme", "GET, HEAD, PUT, OPTIONS"),
        ("/api/v1/companies", "GET, HEAD, OPTIONS"),
        ("/companies/acme", "GET, HEAD, OPTIONS"),
        ("/staff/login", "GET, HEAD, POST, OPTIONS"),
        ("/staff/logout", "POST, OPTIONS"),
        ("/staff/tokens/1/revoke", "POST, OPTIONS"),
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/static/css/app.css", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_and_405_name_every_method(client: TestClient, values: dict[str, str], path: str, allow: str) -> None:
    options = client.options(path)
    assert options.status_code == 204 and options.content == b""
    assert options.headers["allow"] == allow
    # Security headers and the request id, as on every answer.
    assert options.headers["x-content-type-options"] == "nosniff" and options.headers["x-request-id"]
    refused = client.request("DELETE", path)
    assert refused.status_code == 405
    assert refused.headers["allow"] == allow


def test_html_405_keeps_its_allow_header(client: TestClient, values: dict[str, str]) -> None:
    response = client.post("/companies/acme")
    assert response.status_code == 405
    assert "text/html" in response.headers["content-type"]
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    api = client.delete("/api/v1/companies/acme/monthly/2025-01")
    assert api.headers["content-type"] == "application/problem+json"
    assert api.headers["allow"] == "GET, HEAD, PUT, OPTIONS"


def test_options_on_an_unknown_path_is_a_404(client: TestClient) -> None:
    assert client.options("/no/such/page").status_code == 404
