"""Names, titles, reasons and e-mail addresses refuse invisible characters, saying which, wherever they arrive:
admin forms, the API, CSV imports, the staff month form, token names and the command line's users."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.domain.text import control_character, invisible_character
from app.schemas.admin import CompanyCreate, EventCreate, SiteCreate, UserCreate
from app.schemas.api import CompanyPut, SiteMonthWrite, SitePut
from app.schemas.months import SiteMonthCreate
from app.store.queries.tokens import TokenError, create_token
from tests.factories import make_company, make_site, make_site_month

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
INVISIBLE = {
    "U+202A": "\u202a",
    "U+202E": RLO,
    "U+2066": "\u2066",
    "U+2069": "\u2069",
    "U+200B": "\u200b",  # zero-width space
    "U+200D": "\u200d",  # zero-width joiner
    "U+FEFF": "\ufeff",  # byte-order mark
    "U+00AD": "\u00ad",  # soft hyphen
    "U+2028": "\u2028",  # line separator
    "U+0000": "\x00",
    "U+001B": "\x1b",
    "U+0085": "\x85",
}


@pytest.mark.parametrize("code", INVISIBLE)
def test_the_rule(code: str) -> None:
    char = INVISIBLE[code]
    assert invisible_character(f"evil{char}txt") == char
    assert invisible_character(f"evil{char}txt", multiline=True) == char
    assert invisible_character("Ünïcödé names — fine, 日本語 too") is None
    assert invisible_character("two\nlines\twith tabs\r\n", multiline=True) is None
    assert invisible_character("one\nline") == "\n"
    assert control_character("bidi\u202e is not a control character") is None
    assert control_character("a\ud800b") == "\ud800"


# (schema, the valid fields, the field that gets the character)
CASES: list[tuple[type[BaseModel], dict, str]] = [
    (CompanyCreate, {"name": "Acme", "slug": "acme"}, "name"),
    (CompanyPut, {"name": "Acme"}, "name"),
    (SiteCreate, {"name": "North", "slug": "north"}, "name"),
    (SiteCreate, {"name": "North", "slug": "north"}, "region"),
    (SiteCreate, {"name": "North", "slug": "north"}, "note"),
    (SitePut, {"name": "North"}, "name"),
    (EventCreate, {"date": "2024-04-20", "title": "Halving"}, "title"),
    (EventCreate, {"date": "2024-04-20", "title": "Halving"}, "description"),
    (SiteMonthCreate, {}, "note"),
    (SiteMonthWrite, {}, "reason"),
    (
        UserCreate,
        {"email": "a@example.com", "password": "correct horse battery", "password_confirm": "correct horse battery"},
        "email",
    ),
]


@pytest.mark.parametrize(("schema", "valid", "field"), CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_every_schema_refuses_them_with_a_clear_message(schema: type[BaseModel], valid: dict, field: str) -> None:
    schema.model_validate(valid)
    value = "a@exa\u202emple.com" if field == "email" else f"evil{RLO}txt"
    with pytest.raises(ValidationError) as info:
        schema.model_validate({**valid, field: value})
    [error] = info.value.errors()
    assert error["loc"] == (field,)
    assert "contains an invisible control character (U+202E)" in error["msg"]


def test_multi_line_text_keeps_its_line_breaks() -> None:
    site = SiteCreate.model_validate({"name": "North", "slug": "north", "note": "line one\r\nline two\tand a tab"})
    assert site.note == "line one\r\nline two\tand a tab"
    with pytest.raises(ValidationError, match="invisible control character"):
        SiteCreate.model_validate({"name": "North\nSouth", "slug": "north"})


def test_admin_form_shows_the_message_beside_the_field(admin_client: TestClient) -> None:
    form = {"name": f"Evil{RLO}Corp", "slug": "evil-corp", "fiscal_year_end_month": "12"}
    response = admin_client.post("/staff/admin/companies/new", data=form)
    assert response.status_code == 422
    assert "The name contains an invisible control character (U+202E)." in html.unescape(response.text)


def test_event_form(admin_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session)
    form = {"date": "2024-04-20", "title": f"Halving{RLO}", "kind": "halving"}
    response = admin_client.post(f"/staff/admin/companies/{company.slug}/events/new", data=form)
    assert response.status_code == 422
    assert "The title contains an invisible control character (U+202E)." in html.unescape(response.text)


def test_api_says_which_field(client: TestClient, db_session: Session) -> None:
    secret = create_token(session=db_session, name="bot", scope="write", actor=Actor.system("test")).secret
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.put("/api/v1/companies/newco", json={"name": f"New{RLO}Co"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "body.name", "message": "The name contains an invisible control character (U+202E)."}
    ]
    company = make_company(db_session, slug="writer")
    site = make_site(db_session, company, slug="north")
    make_site_month(db_session, site)
    url = "/api/v1/companies/writer/sites/north/monthly/2025-01"
    etag = client.get(url).headers["etag"]
    corrected = client.put(url, json={"btc_mined": "1", "reason": f"typo{RLO}"}, headers={**headers, "If-Match": etag})
    assert corrected.status_code == 422
    assert corrected.json()["errors"][0]["path"] == "body.reason"
    assert "(U+202E)" in corrected.json()["errors"][0]["message"]


def test_correction_reason_on_the_staff_form(editor_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="formco")
    site = make_site(db_session, company, slug="north")
    make_site_month(db_session, site)
    url = "/staff/companies/formco/months/2025-01/unpublish"
    response = editor_client.post(url, data={"reason": f"wrong{RLO} month"})
    assert response.status_code in (409, 422)
    assert "The reason contains an invisible control character (U+202E)." in html.unescape(response.text)


def test_csv_import_note(editor_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="csvco")
    make_site(db_session, company, slug="north")
    content = f"period,site,btc_mined (BTC),note\n2025-02,north,1,see{RLO}note\n".encode()
    response = editor_client.post("/staff/companies/csvco/import", files={"file": ("m.csv", content, "text/csv")})
    assert response.status_code == 422
    assert "The note contains an invisible control character (U+202E)." in html.unescape(response.text)


def test_token_names(db_session: Session, admin_client: TestClient) -> None:
    with pytest.raises(TokenError, match=r"invisible control character \(U\+2066\)"):
        create_token(session=db_session, name="bot\u2066", scope="read", actor=Actor.system("test"))
    response = admin_client.post("/staff/tokens", data={"name": f"bot{RLO}", "scope": "read"})
    assert response.status_code == 422
    assert "The name contains an invisible control character (U+202E)." in html.unescape(response.text)


def test_user_emails(admin_client: TestClient) -> None:
    form = {
        "email": f"new{RLO}@example.com",
        "role": "editor",
        "password": "correct horse battery staple",
        "password_confirm": "correct horse battery staple",
    }
    response = admin_client.post("/staff/admin/users/new", data=form)
    assert response.status_code == 422
    assert "The e-mail address contains an invisible control character (U+202E)." in html.unescape(response.text)
