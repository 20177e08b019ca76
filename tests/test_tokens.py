"""API tokens: the staff pages (admins only; the secret shown once), the CLI, hashing and revocation."""

from __future__ import annotations

import hashlib
import re

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.store.models import ApiToken, AuditEntry
from app.store.queries.tokens import create_token, find_active_token, revoke_token, token_state
from tests.factories import make_company, make_site

SECRET_RE = re.compile(r'value="(mdk_[A-Za-z0-9_-]+)"')


def test_admin_creates_a_token_shown_once_and_stored_as_a_hash(admin_client: TestClient, db_session: Session) -> None:
    make_company(db_session, slug="tokco")
    page = admin_client.post("/staff/tokens", data={"name": "Finance sync", "scope": "write", "company": "tokco"})
    assert page.status_code == 201
    assert page.headers["cache-control"] == "no-store"
    secret = SECRET_RE.search(page.text).group(1)
    stored = db_session.scalar(select(ApiToken).where(ApiToken.name == "Finance sync"))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.prefix == secret[:12] and stored.created_by == admin_client.user.email
    listing = admin_client.get("/staff/tokens")
    assert "Finance sync" in listing.text and stored.prefix in listing.text
    assert secret not in listing.text  # never shown again
    assert "tokco" in listing.text and "never" in listing.text


def test_token_form_errors_rerender_with_422(admin_client: TestClient) -> None:
    page = admin_client.post("/staff/tokens", data={"name": "  ", "scope": "write"})
    assert page.status_code == 422
    assert "Give the token a name" in page.text
    page = admin_client.post("/staff/tokens", data={"name": "x", "scope": "admin"})
    assert page.status_code == 422 and "read or write" in page.text


def test_revoked_token_stops_working_at_once(admin_client: TestClient, db_session: Session) -> None:
    company = make_company(db_session, slug="revco")
    make_site(db_session, company, slug="one")
    new = create_token(session=db_session, name="to revoke", scope="write", actor=Actor.system("test"))
    url = "/api/v1/companies/revco/sites/one/monthly/2025-01"
    headers = {"Authorization": f"Bearer {new.secret}"}
    assert admin_client.put(url, json={}, headers=headers).status_code == 201
    response = admin_client.post(f"/staff/tokens/{new.token.id}/revoke", follow_redirects=False)
    assert response.status_code == 303
    assert "revoked" in admin_client.get(response.headers["location"]).text
    refused = admin_client.put(url, json={}, headers={**headers, "If-Match": "*"})
    assert refused.status_code == 401 and refused.json()["detail"] == "The token was revoked."
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "api_token", AuditEntry.entity_id == new.token.id)
    ).all()
    assert [a.value for a in actions] == ["create", "delete"]


def test_editors_and_visitors_cannot_manage_tokens(editor_client: TestClient, client: TestClient) -> None:
    assert editor_client.get("/staff/tokens").status_code == 403
    assert editor_client.post("/staff/tokens", data={"name": "x", "scope": "write"}).status_code == 403
    anonymous = client.get("/staff/tokens", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/login")


def test_states(db_session: Session) -> None:
    actor = Actor.system("test")
    new = create_token(session=db_session, name="s", scope="read", actor=actor, expires_in_days=1)
    assert find_active_token(new.secret, session=db_session) == (new.token, "active")
    assert find_active_token(new.secret + "x", session=db_session) == (None, "unknown")
    assert token_state(new.token, now=new.token.expires_at) == "expired"
    assert revoke_token(new.token, session=db_session, actor=actor) is True
    assert revoke_token(new.token, session=db_session, actor=actor) is False
    assert token_state(new.token) == "revoked"


def test_cli_create_token_prints_the_secret_once(db_session: Session, engine, monkeypatch) -> None:
    from app import cli

    db_session.commit()
    runner = CliRunner()
    result = runner.invoke(cli.main, ["create-token", "--name", "cli bot", "--scope", "write", "--expires", "7"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("mdk_")
    with Session(engine) as other:
        token = other.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(secret.encode()).hexdigest()))
        assert token is not None and token.scope.value == "write" and token.expires_at is not None
        other.delete(token)
        other.commit()
    bad = runner.invoke(cli.main, ["create-token", "--name", "x", "--scope", "admin"])
    assert bad.exit_code != 0
    missing = runner.invoke(cli.main, ["create-token", "--name", "x", "--scope", "read", "--company", "nope"])
    assert missing.exit_code == 1 and "no company" in missing.output
