"""Create or update a company or a site with a write token, so figures can be pushed for a new miner.

Descriptive fields only (name, ticker, region…); the same rules and audit trail as the admin pages. A token
limited to one company may update that company and create or update its sites, but not create companies.
Replacing an existing company or site needs `If-Match` with the ETag its GET gave (app.api.resources).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from app.api.auth import WriteToken, actor_for_token, check_company
from app.api.deps import CompanySlug, SiteSlug
from app.api.resources import check_preconditions, company_body, resource_response, site_body
from app.api.write_body import JsonBody
from app.http.deps import SessionDep
from app.http.problems import ApiProblem, error_responses
from app.schemas import parse_period
from app.schemas.admin import CompanyCreate, SiteCreate
from app.schemas.api import CompanyDetail, CompanyPut, SiteDetail, SitePut
from app.store import queries
from app.store.queries import entities
from app.store.queries.site_life import replace_site_capacity

router = APIRouter(prefix="/api/v1", tags=["writes"])

ENTITY_ERRORS = error_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428)


def _validate(schema: type[BaseModel], body: Any, *, slug_path: str) -> Any:
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            path = slug_path if loc == ["slug"] else ".".join(["body", *loc])
            errors.append({"path": path, "message": str(err["msg"]).removeprefix("Value error, ")})
        raise ApiProblem(422, "Some fields are invalid", errors=errors) from None


def _body_doc(name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    }


IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=1000, description="The current ETag (from GET); required to replace it"),
]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", max_length=1000, description="`*`: create only, never replace"),
]


@router.put(
    "/companies/{slug}",
    response_model=CompanyDetail,
    responses={201: {"description": "Created", "model": CompanyDetail}, **ENTITY_ERRORS},
    openapi_extra=_body_doc("CompanyPut"),
    summary="Create or update a company",
)
def put_company(
    request: Request,
    slug: CompanySlug,
    session: SessionDep,
    token: WriteToken,
    body: JsonBody,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Creates the company when the slug is new (a token not limited to a company only), else replaces its
    fields; replacing needs `If-Match` with the ETag from GET (428 without it, 412 when stale)."""
    fields = _validate(CompanyPut, body, slug_path="path.slug")
    data = _validate(CompanyCreate, {**fields.model_dump(), "slug": slug}, slug_path="path.slug")
    company = queries.get_company(slug, session=session)
    actor = actor_for_token(token)
    if company is None and token.company_id is not None:
        raise ApiProblem(403, "This token is limited to one company and cannot create companies.")
    if company is not None:
        check_company(token, company)
        entities.lock_company(company, session=session)
    check_preconditions(request, company_body(company, session=session) if company else None, "company")
    try:
        if company is None:
            company = entities.create_company(session=session, data=data, actor=actor)
            created = True
        else:
            company = entities.update_company(company, session=session, data=data, actor=actor)
            created = False
    except entities.EntityError as exc:
        raise ApiProblem(409, exc.message, errors=[{"path": f"body.{exc.field}", "message": exc.message}]) from None
    return resource_response(request, company_body(company, session=session), status=201 if created else 200)


@router.put(
    "/companies/{slug}/sites/{site}",
    response_model=SiteDetail,
    responses={201: {"description": "Created", "model": SiteDetail}, **ENTITY_ERRORS},
    openapi_extra=_body_doc("SitePut"),
    summary="Create or update a site",
)
def put_site(
    request: Request,
    slug: CompanySlug,
    site: SiteSlug,
    session: SessionDep,
    token: WriteToken,
    body: JsonBody,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Creates the site when its slug is new in the company, else replaces its fields; replacing needs
    `If-Match` with the ETag from GET (428 without it, 412 when stale)."""
    company = queries.get_company(slug, session=session)
    if company is None:
        raise ApiProblem(404, f"No company with slug {slug!r}")
    check_company(token, company)
    fields = _validate(SitePut, body, slug_path="path.site")
    data = _validate(
        SiteCreate, {**fields.model_dump(exclude={"capacity_history"}), "slug": site}, slug_path="path.site"
    )
    entities.lock_company(company, session=session)
    existing = queries.get_site(company.id, site, session=session)
    check_preconditions(request, site_body(company, existing, session=session) if existing else None, "site")
    actor = actor_for_token(token)
    try:
        if existing is None:
            saved = entities.create_site(company, session=session, data=data, actor=actor)
        else:
            saved = entities.update_site(existing, session=session, data=data, actor=actor)
    except entities.EntityError as exc:
        raise ApiProblem(409, exc.message, errors=[{"path": f"body.{exc.field}", "message": exc.message}]) from None
    if fields.capacity_history is not None:
        history = [(parse_period(c.effective_month), c.capacity_mw, c.source_url) for c in fields.capacity_history]
        replace_site_capacity(saved, history, session=session)
    return resource_response(
        request, site_body(company, saved, session=session), status=201 if existing is None else 200
    )


ENTITY_SCHEMAS: tuple[type[BaseModel], ...] = (CompanyPut, SitePut)
