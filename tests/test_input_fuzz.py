"""No input makes a server error: a table of hostile values sent to every route, through every channel.

Path parameters, query parameters, form fields (the ones each page's own form has, plus common names),
JSON bodies, CSV uploads and headers each get the values of the table: NUL and other control characters,
bidi overrides, lone surrogates, integers beyond the database's columns, far years, over-long text.
Whatever the route answers (400, 404, 422, a form with a message, a redirect), it is never a 5xx. The
suite runs this on SQLite and on Postgres, which refuses NUL in text and overflows on big integers.

To stay quick, a value refused by its characters alone (CONTROL) is sent in every parameter at once; the
well-formed ones (TEXT), which only a route's own validation can judge, go to each parameter on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection

from app.domain.actors import Actor
from app.store.models import UserRole
from app.store.queries.tokens import create_token
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
from tests.route_walk import plausible_value

# Refused for their characters, wherever they are.
CONTROL: dict[str, str] = {
    "nul": "a\x00b",
    "c0": "a\x01\x1bb",
    "del": "a\x7fb",
    "c1": "a\x85b",
    "surrogate": "a\ud800b",
}
# Well-formed text that only the meaning of a parameter makes wrong.
TEXT: dict[str, str] = {
    "bidi": "evil\u202etxt",
    "newline": "a\nb",
    "int32+1": "2147483648",
    "huge-int": "9" * 40,
    "negative": "-2147483649",
    "far-year": "9999-12",
    "far-date": "9999-12-31",
    "year-zero": "0000-01",
    "long": "x" * 5000,
}
HOSTILE = {**CONTROL, **TEXT}


def url_value(kind: str) -> str:
    # A lone surrogate has no UTF-8 form: a URL can only carry the bytes it would have had.
    return "a%ED%A0%80b" if kind == "surrogate" else quote(HOSTILE[kind], safe="")


# Form fields most forms share, for routes whose form is not on a page of its own.
COMMON_FIELDS = ("email", "password", "next", "name", "slug", "title", "reason", "note", "site_id", "date", "period")
HEADERS = (
    "Authorization",
    "Cookie",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    "Accept",
    "Accept-Encoding",
    "Origin",
    "Referer",
    "User-Agent",
    "Content-Type",
    "X-Forwarded-For",
)
# Header values are Latin-1 bytes on one line: these are the hostile ones a client can send.
HEADER_VALUES = ("nul", "c0", "del", "int32+1", "huge-int", "far-year", "long")
_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
# The walk ends the session the rest of the walk needs.
SKIP = {("POST", "/staff/logout")}


@pytest.fixture
def values(db_session: Session) -> dict[str, str]:
    company = make_company(db_session, slug="acme")
    site = make_site(db_session, company, slug="rockdale")
    make_site_month(db_session, site)
    make_company_month(db_session, company)
    make_network_month(db_session)
    event = make_event(db_session, company_id=company.id, title="Expansion")
    other = make_user(db_session, email="other@example.com")
    token = create_token(session=db_session, name="fuzz", scope="write", actor=Actor.system("test"))
    return {
        "slug": company.slug,
        "site": site.slug,
        "site_slug": site.slug,
        "period": "2025-01",
        "event_id": str(event.id),
        "user_id": str(other.id),
        "token_id": str(token.token.id),
        "chart": "btc_mined",
        "secret": token.secret,
    }


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


@pytest.fixture
def admin(app: FastAPI, db_session: Session) -> Iterator[TestClient]:
    user = make_user(db_session, role=UserRole.admin)
    with _client(app) as client:
        log_in(client, user.email, DEFAULT_PASSWORD)
        yield client


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with _client(app) as client:
        yield client


class _FormFields(HTMLParser):
    """The named fields of the forms on a page, with the values the page gives them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag in ("input", "select", "textarea") and name and a.get("type") not in ("file", "submit"):
            self.fields.setdefault(name, a.get("value") or "")


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    routes: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        if route.methods is None or route.path is None:
            continue
        routes.extend(
            (m, route.path) for m in sorted(route.methods - {"HEAD", "OPTIONS"}) if (m, route.path) not in SKIP
        )
    return routes


def _fill(template: str, values: dict[str, str], **override: str) -> str:
    return _PARAM.sub(lambda m: override.get(m.group(1), plausible_value(m.group(1), values)), template)


def _send(client: TestClient, method: str, path: str, values: dict[str, str], **kwargs: Any) -> int:
    headers = kwargs.pop("headers", {})
    if path.startswith("/api/"):
        headers.setdefault("Authorization", f"Bearer {values['secret']}")
    if method in ("PUT", "POST") and not {"data", "json", "content"} & kwargs.keys():
        kwargs["json" if path.startswith("/api/") else "data"] = {}
    return client.request(method, path, headers=headers, follow_redirects=False, **kwargs).status_code


def test_path_parameters(app: FastAPI, admin: TestClient, values: dict[str, str]) -> None:
    failures: list[str] = []
    for method, template in _routes(app):
        for param in _PARAM.findall(template):
            for kind in HOSTILE:
                status = _send(admin, method, _fill(template, values, **{param: url_value(kind)}), values)
                if status >= 500:
                    failures.append(f"{method} {template} {param}={kind}: {status}")
    assert not failures, "\n".join(failures)


class _RecordingQueryParams(QueryParams):
    """Query parameters that note which names the route asked for."""

    asked: set[str]

    def get(self, key: Any, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def getlist(self, key: Any) -> list[Any]:
        self.asked.add(key)
        return super().getlist(key)

    def __getitem__(self, key: Any) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.asked.add(key)
        return super().__contains__(key)


@pytest.fixture
def asked_names(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    asked: set[str] = set()

    def query_params(self: HTTPConnection) -> QueryParams:
        if not hasattr(self, "_query_params"):
            params = _RecordingQueryParams(self.scope["query_string"])
            params.asked = asked
            self._query_params = params
        return self._query_params

    monkeypatch.setattr(HTTPConnection, "query_params", property(query_params))
    return asked


def test_query_parameters(app: FastAPI, admin: TestClient, values: dict[str, str], asked_names: set[str]) -> None:
    failures: list[str] = []
    for method, template in _routes(app):
        path = _fill(template, values)
        # Which names this route reads: asked for while it answers a plain request.
        asked_names.clear()
        _send(admin, method, path, values)
        names = sorted(asked_names)
        for kind in CONTROL:
            query = "&".join(f"{name}={url_value(kind)}" for name in names)
            if (status := _send(admin, method, f"{path}?{query}", values)) >= 500:
                failures.append(f"{method} {template}?(every name)={kind}: {status}")
        for name in names:
            for kind in TEXT:
                if (status := _send(admin, method, f"{path}?{name}={url_value(kind)}", values)) >= 500:
                    failures.append(f"{method} {template}?{name}={kind}: {status}")
    assert not failures, "\n".join(failures)


def _form_of(client: TestClient, path: str) -> dict[str, str]:
    """The fields of the form posting to `path`: on its own page, else on the page above (a button's form)."""
    for page_path in (path, path.rsplit("/", 1)[0], path.rsplit("/", 2)[0]):
        page = client.get(page_path)
        parser = _FormFields()
        if page.status_code == 200 and "text/html" in page.headers.get("content-type", ""):
            parser.feed(page.text)
        if parser.fields:
            return parser.fields
    return dict.fromkeys(COMMON_FIELDS, "")


def test_form_fields(app: FastAPI, admin: TestClient, values: dict[str, str]) -> None:
    failures: list[str] = []
    for method, template in _routes(app):
        if method != "POST":
            continue
        path = _fill(template, values)
        fields = _form_of(admin, path)
        for kind, value in CONTROL.items():
            if kind != "surrogate":  # has no UTF-8 form: see the raw bodies below
                status = _send(admin, method, path, values, data={name: value for name in fields})
                if status >= 500:
                    failures.append(f"{method} {template} every field={kind}: {status}")
        for name in fields:
            for kind, value in TEXT.items():
                if (status := _send(admin, method, path, values, data={**fields, name: value})) >= 500:
                    failures.append(f"{method} {template} field {name}={kind}: {status}")
    assert not failures, "\n".join(failures)


def test_raw_form_bodies(app: FastAPI, admin: TestClient, values: dict[str, str]) -> None:
    failures: list[str] = []
    bodies = (b"name=a%ED%A0%80b&email=x", b"name=\xff\xfe&title=%C0%80", b"email=" + b"%00" * 100, b"%00=1")
    for method, template in _routes(app):
        if method != "POST":
            continue
        for body in bodies:
            status = _send(
                admin,
                method,
                _fill(template, values),
                values,
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status >= 500:
                failures.append(f"{method} {template} body {body[:30]!r}: {status}")
    assert not failures, "\n".join(failures)


def test_csv_import(admin: TestClient, values: dict[str, str]) -> None:
    """Hostile cells in an upload, then a hostile reason in the (validly signed) confirmation."""
    failures: list[str] = []
    path = f"/staff/companies/{values['slug']}/import"
    for kind, value in HOSTILE.items():
        for row in (f"{value},{values['site']},1", f"2025-02,{value},1", f"2025-02,{values['site']},{value}"):
            content = f"period,site,btc_mined (BTC),note\n{row},x\n2025-03,{values['site']},2,{value}\n"
            data = content.encode("utf-8", "surrogatepass")
            response = admin.post(path, files={"file": ("m.csv", data, "text/csv")})
            if response.status_code >= 500:
                failures.append(f"upload {kind} in {row[:20]!r}: {response.status_code}")
    good = f"period,site,btc_mined (BTC)\n2025-02,{values['site']},1\n".encode()
    dry_run = admin.post(path, files={"file": ("m.csv", good, "text/csv")})
    assert dry_run.status_code == 200, dry_run.text
    parser = _FormFields()
    parser.feed(dry_run.text)
    for name in ("reason", "filename", "digest", "publish"):
        for kind, value in HOSTILE.items():
            if kind == "surrogate":
                continue
            response = admin.post(f"{path}/confirm", data={**parser.fields, "publish": "on", name: value})
            if response.status_code >= 500:
                failures.append(f"confirm {name}={kind}: {response.status_code}")
    assert not failures, "\n".join(failures)


JSON_FIELDS = (
    "name",
    "ticker",
    "website_url",
    "region",
    "status",
    "capacity_mw",
    "energized_on",
    "note",
    "source_url",
    "reason",
    "publish",
    "btc_mined",
    "machines_deployed",
    "btc_held_end",
)


def _put_json(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    # ensure_ascii: a lone surrogate travels as the escape \ud800, as any JSON encoder sends it.
    return client.put(path, content=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"})


def test_json_bodies(app: FastAPI, anonymous: TestClient, values: dict[str, str]) -> None:
    failures: list[str] = []
    auth = {"Authorization": f"Bearer {values['secret']}"}
    for method, template in _routes(app):
        if method != "PUT":
            continue
        path = _fill(template, values)
        current = anonymous.get(path, headers=auth)
        etag = {"If-Match": current.headers["etag"]} if "etag" in current.headers else {}
        base = {} if "monthly" in template else {"name": "Acme"}
        for kind, value in CONTROL.items():
            response = _put_json(anonymous, path, dict.fromkeys(JSON_FIELDS, value), {**auth, **etag})
            if response.status_code >= 500:
                failures.append(f"{method} {template} every field={kind}: {response.status_code}")
        for name in JSON_FIELDS:
            for kind, value in TEXT.items():
                for sent in (value, int(value) if value.lstrip("-").isdigit() else None):
                    if sent is None:
                        continue
                    response = _put_json(anonymous, path, {**base, name: sent}, {**auth, **etag})
                    if response.status_code >= 500:
                        failures.append(f"{method} {template} {name}={kind}: {response.status_code}")
                    elif response.status_code < 300 and "etag" in response.headers:
                        etag = {"If-Match": response.headers["etag"]}
        for kind, value in HOSTILE.items():
            for body in ({**base, value: 1}, [value], value, {**base, "note": {value: [value]}}):
                response = _put_json(anonymous, path, body, {**auth, **etag})
                if response.status_code >= 500:
                    failures.append(f"{method} {template} body {kind} {type(body).__name__}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_headers(app: FastAPI, admin: TestClient, anonymous: TestClient, values: dict[str, str]) -> None:
    failures: list[str] = []
    routes = _routes(app)
    for method, template in routes:
        path = _fill(template, values)
        for kind in HEADER_VALUES:
            for who, client in (("admin", admin), ("anonymous", anonymous)):
                status = _send(client, method, path, values, headers=dict.fromkeys(HEADERS, HOSTILE[kind]))
                if status >= 500:
                    failures.append(f"{method} {template} every header={kind} as {who}: {status}")
    # Each header on its own, on one route of each kind (reads, writes, pages, forms).
    samples = [
        ("GET", "/api/v1/companies/{slug}/monthly"),
        ("PUT", "/api/v1/companies/{slug}/sites/{site}/monthly/{period}"),
        ("GET", "/companies/{slug}"),
        ("POST", "/staff/login"),
        ("POST", "/staff/admin/companies/{slug}"),
    ]
    assert set(samples) <= set(routes)
    for method, template in samples:
        path = _fill(template, values)
        for header in HEADERS:
            for kind in HEADER_VALUES:
                for who, client in (("admin", admin), ("anonymous", anonymous)):
                    status = _send(client, method, path, values, headers={header: HOSTILE[kind]})
                    if status >= 500:
                        failures.append(f"{method} {template} {header}={kind} as {who}: {status}")
    assert not failures, "\n".join(failures)


def test_what_the_refusals_say(anonymous: TestClient, values: dict[str, str]) -> None:
    """The three public routes that used to fail: each answers in its own format."""
    page = anonymous.get("/companies/%00")
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]
    assert "control character (U+0000)" in page.text
    api = anonymous.get("/api/v1/events?company=%00")
    assert api.status_code == 400 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["errors"] == [{"path": "query.company", "message": "contains a control character (U+0000)"}]
    login = anonymous.post("/staff/login", data={"email": "a\x00@example.com", "password": "x"})
    assert login.status_code == 400 and "text/html" in login.headers["content-type"]
    assert "email" in login.text and "U+0000" in login.text
    # The security headers and the request id are there too.
    assert page.headers["x-request-id"] and page.headers["x-content-type-options"] == "nosniff"
    auth = {"Authorization": f"Bearer {values['secret']}"}
    put = _put_json(anonymous, "/api/v1/companies/acme", {"name": "a\x00b"}, auth)
    assert put.status_code == 422 and put.json()["errors"][0]["path"] == "body.name"
