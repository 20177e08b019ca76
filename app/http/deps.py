"""FastAPI dependencies, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from app.http.origin import UNSAFE_METHODS
from app.store import queries
from app.store.db import session_scope
from app.store.models import Company

MAX_ROW_ID = 2**31 - 1  # ids are 32-bit INTEGER columns on both databases

# A row id in a URL: outside the column's range it is refused as bad input, never passed on to overflow Postgres.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction (app.store.db.session_scope); unsafe methods begin it as a writer."""
    yield from session_scope(writing=request.method in UNSAFE_METHODS)


# scope="function": the commit happens before the response is sent (see app.store.db.session_scope).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def company_or_404(slug: str, session: SessionDep) -> Company:
    company = queries.get_company(slug, session=session)
    if company is None:
        raise HTTPException(status_code=404, detail=f"No company with slug {slug!r}")
    return company


CompanyOr404 = Annotated[Company, Depends(company_or_404)]
