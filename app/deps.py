"""FastAPI dependencies, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from sqlalchemy.orm import Session

from app import queries
from app.db import get_session
from app.models import Company

# scope="function": the commit happens before the response is sent (see app.db.get_session).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def company_or_404(slug: str, session: SessionDep) -> Company:
    company = queries.get_company(slug, session=session)
    if company is None:
        raise HTTPException(status_code=404, detail=f"No company with slug {slug!r}")
    return company


CompanyOr404 = Annotated[Company, Depends(company_or_404)]
