"""The staff landing page: the companies, each leading to its months."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.http.auth import EditorUser
from app.http.deps import SessionDep
from app.http.templating import templates
from app.store import queries

router = APIRouter()


@router.get("/staff", include_in_schema=False)
def staff_redirect() -> RedirectResponse:
    return RedirectResponse("/staff/", status_code=308)


@router.get("/staff/", response_class=HTMLResponse, name="staff:home")
def staff_home(request: Request, user: EditorUser, session: SessionDep) -> Response:
    companies = queries.list_companies(session=session)
    return templates.TemplateResponse(request, "staff/home.html", {"companies": companies, "user": user})
