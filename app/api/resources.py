"""One company and one site as resources: the representation GET answers and PUT replaces, and its ETag.

The ETag is a digest of that representation, so GET and PUT agree on it and it changes exactly when what a
client read changes (the fields, the sites, the months with figures): GET the resource, change it, PUT it
back with `If-Match`. Replacing an existing resource without `If-Match` is 428, with a stale one 412,
as for months (app.api.writes).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.common import encode_json
from app.cache.etags import etag_matches
from app.http.problems import ApiProblem
from app.schemas import CompanyRead, SiteRead, format_period
from app.store import queries
from app.store.models import Company, Site
from app.store.queries import public
from app.store.queries.site_life import list_site_capacity


def company_fields(company: Company) -> dict[str, Any]:
    return CompanyRead.model_validate(company).model_dump()


def company_body(company: Company, *, session: Session) -> dict[str, Any]:
    """The company, its sites and the first and last month with published figures (CompanyDetail)."""
    first, last = queries.published_period_bounds(company.id, session=session)
    return {
        **company_fields(company),
        "website_url": company.website_url,
        "first_period": format_period(first) if first else None,
        "last_period": format_period(last) if last else None,
        "sites": [SiteRead.model_validate(s).model_dump() for s in queries.list_sites(company.id, session=session)],
    }


def site_body(company: Company, site: Site, *, session: Session) -> dict[str, Any]:
    """The site, its note and the first and last month with its published figures (SiteDetail)."""
    first, last = public.site_period_bounds(site.id, session=session)
    return {
        **SiteRead.model_validate(site).model_dump(),
        "capacity_history": [
            {
                "effective_month": format_period(c.effective_on),
                "capacity_mw": c.capacity_mw,
                "source_url": c.source_url,
            }
            for c in list_site_capacity(site.id, session=session)
        ],
        "note": site.note,
        "company": company.slug,
        "first_period": format_period(first) if first else None,
        "last_period": format_period(last) if last else None,
    }


def _digest(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def etag_of(body: dict[str, Any]) -> str:
    return _digest(encode_json(body))


def resource_response(request: Request, body: dict[str, Any], *, status: int = 200) -> Response:
    """The representation with its ETag; 304 for a GET whose If-None-Match names it."""
    data = encode_json(body)
    etag = _digest(data)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if status == 201:
        headers["Location"] = str(request.url)
    if request.method == "GET" and etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return Response(data, status_code=status, media_type="application/json", headers=headers)


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def check_preconditions(request: Request, current: dict[str, Any] | None, what: str) -> None:
    """Refuse the PUT unless its preconditions hold for `current` (None: the resource does not exist yet)."""
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")
    if current is None:
        if if_match is not None:
            raise ApiProblem(412, f"The {what} does not exist yet: send no If-Match to create it.")
        return
    etag = etag_of(current)
    if if_none_match is not None and (if_none_match.strip() == "*" or etag in _tags(if_none_match)):
        raise ApiProblem(412, f"The {what} exists already (If-None-Match).", headers={"ETag": etag})
    if if_match is None:
        raise ApiProblem(
            428,
            f"The {what} exists: send If-Match with its ETag (from GET) so no one else's change is overwritten.",
            errors=[{"path": "header.If-Match", "message": f"required to replace an existing {what}"}],
            headers={"ETag": etag},
        )
    # Strong comparison (RFC 9110): a weak tag never matches.
    if if_match.strip() != "*" and etag not in _tags(if_match):
        raise ApiProblem(
            412,
            f"The {what} changed since you read it: GET it again and reapply your change.",
            errors=[{"path": "header.If-Match", "message": f"the current ETag is {etag}"}],
            headers={"ETag": etag},
        )
