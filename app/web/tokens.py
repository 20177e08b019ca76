"""Admin pages for API tokens: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.http.auth import AdminUser, actor_for_user
from app.http.deps import RowId, SessionDep
from app.http.templating import templates
from app.store import queries
from app.store.queries import tokens as token_queries
from app.web.forms import FormFields

router = APIRouter()

# The page with a secret must never be kept by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}
SCOPE_OPTIONS = [
    ("read", "Read: identifies the caller; reads are public anyway"),
    ("write", "Write: creates and replaces monthly figures, may publish"),
]
EXPIRY_OPTIONS = [("", "Never"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]
NOTICES = {"revoked": "The token was revoked: requests with it now get 401."}


def _list_page(
    request: Request,
    session: Session,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    notice: str | None = None,
    status: int = 200,
) -> Response:
    tokens = token_queries.list_tokens(session=session)
    companies = queries.list_companies(session=session)
    names = {c.id: c.slug for c in companies}
    rows = [
        {
            "token": t,
            "state": token_queries.token_state(t),
            "company": names.get(t.company_id) if t.company_id else None,
        }
        for t in tokens
    ]
    company_options = [("", "Any company"), *((c.slug, c.name) for c in companies)]
    return templates.TemplateResponse(
        request,
        "staff/tokens/list.html",
        {
            "rows": rows,
            "values": values,
            "errors": errors,
            "notice": notice,
            "scope_options": SCOPE_OPTIONS,
            "expiry_options": EXPIRY_OPTIONS,
            "company_options": company_options,
        },
        status_code=status,
    )


@router.get("/staff/tokens", response_class=HTMLResponse, name="tokens:list")
def tokens_list(request: Request, user: AdminUser, session: SessionDep, done: str | None = None) -> Response:
    return _list_page(request, session, values={"scope": "read"}, errors={}, notice=NOTICES.get(done or ""))


@router.post("/staff/tokens", response_class=HTMLResponse, name="tokens:create")
def tokens_create(request: Request, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    values = {k: form.get(k, "") for k in ("name", "scope", "expires", "company")}
    errors: dict[str, str] = {}
    expires: int | None = None
    if values["expires"]:
        try:
            expires = int(values["expires"])
        except ValueError:
            errors["expires"] = "Choose one of the options."
    company = None
    if values["company"]:
        company = queries.get_company(values["company"], session=session)
        if company is None:
            errors["company"] = "Choose one of the options."
    if not errors:
        try:
            new = token_queries.create_token(
                session=session,
                name=values["name"],
                scope=values["scope"],
                actor=actor_for_user(user),
                company=company,
                expires_in_days=expires,
            )
        except token_queries.TokenError as exc:
            errors[exc.field] = exc.message
    if errors:
        return _list_page(request, session, values=values, errors=errors, status=422)
    # Shown here once and never again: no redirect (the secret would have to be kept somewhere to show it).
    return templates.TemplateResponse(
        request,
        "staff/tokens/created.html",
        {"token": new.token, "secret": new.secret, "company": company},
        status_code=201,
        headers=NO_STORE,
    )


@router.post("/staff/tokens/{token_id}/revoke", name="tokens:revoke")
def tokens_revoke(token_id: RowId, user: AdminUser, session: SessionDep) -> Response:
    token = token_queries.get_token(token_id, session=session)
    if token is None:
        raise HTTPException(status_code=404, detail="No such token.")
    token_queries.revoke_token(token, session=session, actor=actor_for_user(user))
    return RedirectResponse("/staff/tokens?done=revoked", status_code=303)
