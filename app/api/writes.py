"""One month of figures as a resource: GET it with its ETag, PUT it with a write token.

* Creating a month needs no precondition (`If-None-Match: *` makes sure it does not exist yet).
* Replacing an existing month needs `If-Match` with its current ETag: 428 without it, 412 when stale.
* The month is saved as draft unless `?publish=true` (or `"publish": true`); changing a published month
  needs a `reason` (409 without one). Every write goes through the same rules and audit trail as the
  staff forms, with the token as the actor.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from app.api.auth import OptionalToken, WriteToken, actor_for_token, check_company, may_see_drafts
from app.api.common import MONTH_PATTERN, encode_json
from app.api.deps import ApiCompany, ApiSite
from app.cache.etags import http_date
from app.domain.metrics import METRICS
from app.http.deps import SessionDep
from app.http.problems import ApiProblem, error_responses
from app.schemas import format_period, parse_period
from app.schemas.api import CompanyMonthStored, CompanyMonthWrite, SiteMonthStored, SiteMonthWrite
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.store.models import Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries import months as month_queries

router = APIRouter(prefix="/api/v1", tags=["writes"])

PeriodPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="The month, YYYY-MM", examples=["2025-01"])]
PublishQuery = Annotated[bool, Query(description="Publish the month (a write token may publish)")]
JSON_TYPES = ("application/json",)
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=1000, description="The month's current ETag; required to replace it"),
]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", max_length=1000, description="`*`: create only, never replace"),
]


def _period(text: str) -> dt.date:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise ApiProblem(400, str(exc), errors=[{"path": "path.period", "message": str(exc)}]) from None


def etag_of(row: SiteMonth | CompanyMonth) -> str:
    kind = "s" if isinstance(row, SiteMonth) else "c"
    return f'"{kind}{row.id}-v{row.version}"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


# --- the request body ------------------------------------------------------------------------------------


async def json_body(request: Request) -> Any:
    """The body as JSON with exact decimals (a float would turn 0.1 into 0.1000000000000000055…)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        raise ApiProblem(
            415,
            "Send the figures as JSON (`Content-Type: application/json`).",
            errors=[{"path": "header.Content-Type", "message": f"{media_type or 'missing'} is not JSON"}],
        )
    raw = await request.body()
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiProblem(
            400, "The request body is not valid JSON", errors=[{"path": "body", "message": str(exc)[:200]}]
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


JsonBody = Annotated[Any, Depends(json_body)]


def _validate(schema: type[BaseModel], body: Any) -> Any:
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        errors = [
            {
                "path": ".".join(["body", *(str(p) for p in err["loc"])]),
                "message": str(err["msg"]).removeprefix("Value error, "),
            }
            for err in exc.errors()
        ]
        raise ApiProblem(422, "Some figures are invalid", errors=errors) from None


def _request_body(schema_name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
        }
    }


# --- rendering ---------------------------------------------------------------------------------------------


def _stored(row: SiteMonth | CompanyMonth, company: Company, metric_names: tuple[str, ...]) -> dict[str, Any]:
    return {
        "period": format_period(row.period),
        "company": company.slug,
        "status": row.status.value if isinstance(row.status, RecordStatus) else str(row.status),
        "version": row.version,
        "published_at": row.published_at,
        "revised_at": row.revised_at,
        "revision_reason": row.revision_reason,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "note": row.note,
        "source_url": row.source_url,
        "is_estimate": row.is_estimate,
        **{name: getattr(row, name) for name in metric_names},
    }


def _site_stored(row: SiteMonth, company: Company, site: Site) -> dict[str, Any]:
    return {
        **_stored(row, company, SiteMonthCreate.metric_names()),
        "site": site.slug,
        "is_illustrative": row.is_illustrative,
    }


def _month_response(
    request: Request, row: SiteMonth | CompanyMonth, body: dict[str, Any], status: int = 200
) -> Response:
    etag = etag_of(row)
    public = row.status == RecordStatus.published
    headers = {
        "ETag": etag,
        # A draft is shown only to a token: no shared cache may keep it.
        "Cache-Control": "no-cache" if public else "private, no-cache",
        "Vary": "Authorization, Accept-Encoding",
    }
    if row.updated_at is not None:
        headers["Last-Modified"] = http_date(row.updated_at)
    if status == 201:
        headers["Location"] = str(request.url.remove_query_params("publish"))
    if status == 200 and request.method == "GET" and etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(encode_json(body), status_code=status, media_type="application/json", headers=headers)


def _visible(row: SiteMonth | CompanyMonth | None, token: Any, company: Company) -> bool:
    return row is not None and (row.status == RecordStatus.published or may_see_drafts(token, company))


# --- preconditions and the save ------------------------------------------------------------------------------


def _expected_version(request: Request, row: SiteMonth | CompanyMonth | None) -> int | None:
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")
    if row is None:
        if if_match is not None:
            raise ApiProblem(412, "The month does not exist yet: send no If-Match to create it.")
        return None
    if if_none_match is not None and (if_none_match.strip() == "*" or etag_of(row) in _tags(if_none_match)):
        raise ApiProblem(412, "The month exists already (If-None-Match).", headers={"ETag": etag_of(row)})
    if if_match is None:
        raise ApiProblem(
            428,
            "The month exists: send If-Match with its ETag (from GET) so no one else's change is overwritten.",
            errors=[{"path": "header.If-Match", "message": "required to replace an existing month"}],
            headers={"ETag": etag_of(row)},
        )
    if if_match.strip() != "*" and etag_of(row) not in _tags(if_match):
        raise ApiProblem(
            412,
            "The month changed since you read it: GET it again and reapply your change.",
            errors=[{"path": "header.If-Match", "message": f"the current ETag is {etag_of(row)}"}],
            headers={"ETag": etag_of(row)},
        )
    return row.version


def _save_errors(exc: Exception) -> ApiProblem:
    if isinstance(exc, month_queries.VersionConflict):
        headers = {"ETag": etag_of(exc.current)} if exc.current is not None else None
        return ApiProblem(412, "The month changed while you were writing it: GET it again.", headers=headers)
    if isinstance(exc, month_queries.ReasonRequired):
        return ApiProblem(
            409,
            str(exc),
            errors=[{"path": "body.reason", "message": "required to change a published month"}],
        )
    assert isinstance(exc, month_queries.MonthValidationError)
    return ApiProblem(
        422,
        "The month cannot be saved",
        errors=[
            {"path": "path.period" if e["path"] == "period" else f"body.{e['path']}", "message": e["message"]}
            for e in exc.errors
        ],
    )


def _refuse_silent_removals(
    row: SiteMonth | CompanyMonth | None, data: SiteMonthCreate | CompanyMonthCreate, reason: str | None
) -> None:
    """A PUT replaces every figure, so one left out becomes null: removing a published figure that way is a
    correction and needs a reason (409 listing each figure the body drops)."""
    if row is None or row.status != RecordStatus.published or (reason and reason.strip()):
        return
    dropped = [n for n in type(data).metric_names() if getattr(row, n) is not None and getattr(data, n) is None]
    if not dropped:
        return
    errors = [
        {
            "path": f"body.{name}",
            "message": f"the published {METRICS[name].label} ({_plain(getattr(row, name))} {METRICS[name].unit})"
            " would be removed: a figure left out of a PUT becomes null",
        }
        for name in dropped
    ]
    errors.append({"path": "body.reason", "message": "required to remove published figures"})
    raise ApiProblem(
        409,
        f"This PUT removes {len(dropped)} published figure(s) ({', '.join(dropped)}): send them again to keep"
        " them, or a reason to remove them.",
        errors=errors,
    )


def _plain(value: Any) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428)


# --- site months -------------------------------------------------------------------------------------------------


@router.get(
    "/companies/{slug}/sites/{site}/monthly/{period}",
    response_model=SiteMonthStored,
    responses={304: {"description": "Not Modified"}, **error_responses(400, 401, 404)},
    summary="One site month, with its ETag",
)
def get_site_month(
    request: Request, company: ApiCompany, site: ApiSite, period: PeriodPath, session: SessionDep, token: OptionalToken
) -> Response:
    """The stored month. Published only, unless a write token for this company asks (then drafts too)."""
    row = month_queries.get_site_month(site, _period(period), session=session)
    if not _visible(row, token, company):
        raise ApiProblem(404, f"No published figures of {site.slug!r} for {period}")
    assert row is not None
    return _month_response(request, row, _site_stored(row, company, site))


@router.put(
    "/companies/{slug}/sites/{site}/monthly/{period}",
    response_model=SiteMonthStored,
    status_code=200,
    responses={201: {"description": "Created", "model": SiteMonthStored}, **WRITE_ERRORS},
    openapi_extra=_request_body("SiteMonthWrite"),
    summary="Create or replace one site month",
)
def put_site_month(
    request: Request,
    company: ApiCompany,
    site: ApiSite,
    period: PeriodPath,
    session: SessionDep,
    token: WriteToken,
    body: JsonBody,
    publish: PublishQuery = False,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every figure of the month is replaced by the body's (a figure left out becomes null)."""
    check_company(token, company)
    month = _period(period)
    data = _validate(SiteMonthWrite, body)
    row = month_queries.get_site_month(site, month, session=session)
    expected = _expected_version(request, row)
    figures = SiteMonthCreate.model_validate(data.model_dump(exclude={"publish", "reason"}))
    _refuse_silent_removals(row, figures, data.reason)
    try:
        saved = month_queries.save_site_month(
            session=session,
            site=site,
            period=month,
            data=figures,
            actor=actor_for_token(token),
            expected_version=expected,
            publish=publish or data.publish,
            reason=data.reason,
            company=company,
        )
    except (month_queries.VersionConflict, month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        raise _save_errors(exc) from None
    return _month_response(request, saved, _site_stored(saved, company, site), 201 if row is None else 200)


# --- company months ---------------------------------------------------------------------------------------------------


@router.get(
    "/companies/{slug}/monthly/{period}",
    response_model=CompanyMonthStored,
    responses={304: {"description": "Not Modified"}, **error_responses(400, 401, 404)},
    summary="One company month, with its ETag",
)
def get_company_month(
    request: Request, company: ApiCompany, period: PeriodPath, session: SessionDep, token: OptionalToken
) -> Response:
    """The stored company-level figures. Published only, unless a write token for this company asks."""
    row = month_queries.get_company_month(company, _period(period), session=session)
    if not _visible(row, token, company):
        raise ApiProblem(404, f"No published company figures of {company.slug!r} for {period}")
    assert row is not None
    return _month_response(request, row, _stored(row, company, CompanyMonthCreate.metric_names()))


@router.put(
    "/companies/{slug}/monthly/{period}",
    response_model=CompanyMonthStored,
    status_code=200,
    responses={201: {"description": "Created", "model": CompanyMonthStored}, **WRITE_ERRORS},
    openapi_extra=_request_body("CompanyMonthWrite"),
    summary="Create or replace one company month",
)
def put_company_month(
    request: Request,
    company: ApiCompany,
    period: PeriodPath,
    session: SessionDep,
    token: WriteToken,
    body: JsonBody,
    publish: PublishQuery = False,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The company-level figures (published total, treasury, sales, company-wide operating figures)."""
    check_company(token, company)
    month = _period(period)
    data = _validate(CompanyMonthWrite, body)
    row = month_queries.get_company_month(company, month, session=session)
    expected = _expected_version(request, row)
    figures = CompanyMonthCreate.model_validate(data.model_dump(exclude={"publish", "reason"}))
    _refuse_silent_removals(row, figures, data.reason)
    try:
        saved = month_queries.save_company_month(
            session=session,
            company=company,
            period=month,
            data=figures,
            actor=actor_for_token(token),
            expected_version=expected,
            publish=publish or data.publish,
            reason=data.reason,
        )
    except (month_queries.VersionConflict, month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        raise _save_errors(exc) from None
    status = 201 if row is None else 200
    return _month_response(request, saved, _stored(saved, company, CompanyMonthCreate.metric_names()), status)


WRITE_SCHEMAS: tuple[type[BaseModel], ...] = (SiteMonthWrite, CompanyMonthWrite)
