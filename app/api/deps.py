"""Path parameters of the API, validated as documented (a malformed slug is a 400, an unknown one a 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.http.deps import SessionDep
from app.http.problems import ApiProblem, describe_pattern
from app.store import queries
from app.store.models import Company, Site

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
describe_pattern(SLUG_PATTERN, "a slug (lower-case letters, digits, - and _)")

CompanySlug = Annotated[
    str, Path(pattern=SLUG_PATTERN, max_length=64, description="The company's slug", examples=["cleanspark"])
]
SiteSlug = Annotated[
    str, Path(pattern=SLUG_PATTERN, max_length=64, description="The site's slug", examples=["georgia"])
]


def api_company(slug: CompanySlug, session: SessionDep) -> Company:
    company = queries.get_company(slug, session=session)
    if company is None:
        raise ApiProblem(404, f"No company with slug {slug!r}")
    return company


ApiCompany = Annotated[Company, Depends(api_company)]


def api_site(company: ApiCompany, site: SiteSlug, session: SessionDep) -> Site:
    found = queries.get_site(company.id, site, session=session)
    if found is None:
        raise ApiProblem(404, f"{company.slug!r} has no site {site!r}")
    return found


ApiSite = Annotated[Site, Depends(api_site)]
