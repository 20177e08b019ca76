"""Staff pages that review and release a month: the preview with drafts, publish, unpublish."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.http.auth import EditorUser, actor_for_user
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.store.models import Company
from app.store.queries import month_release
from app.store.queries import months as month_queries
from app.web.forms import FormFields
from app.web.staff_months import NO_STORE, month_url, period_or_404

router = APIRouter()


@router.get("/staff/companies/{slug}/months/{period}/preview", response_class=HTMLResponse, name="staff:preview")
def month_preview(
    request: Request, company: CompanyOr404, period: str, user: EditorUser, session: SessionDep
) -> Response:
    from app.web.dashboard import render_overview

    period_or_404(period)
    response = render_overview(request, company, session=session, published_only=False, preview=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/staff/companies/{slug}/months/{period}/publish", response_class=HTMLResponse)
def month_publish(
    request: Request,
    company: CompanyOr404,
    period: str,
    user: EditorUser,
    session: SessionDep,
    fields: FormFields,
) -> Response:
    month = period_or_404(period)
    try:
        with session.begin_nested():
            month_release.publish_month(
                session=session, company=company, period=month, actor=actor_for_user(user), reason=fields.get("reason")
            )
    except (month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        return _refused(request, company, month, exc)
    return RedirectResponse(f"{month_url(company, month)}?saved=published", status_code=303)


@router.post("/staff/companies/{slug}/months/{period}/unpublish", response_class=HTMLResponse)
def month_unpublish(
    request: Request,
    company: CompanyOr404,
    period: str,
    user: EditorUser,
    session: SessionDep,
    fields: FormFields,
) -> Response:
    month = period_or_404(period)
    try:
        with session.begin_nested():
            month_release.unpublish_month(
                session=session, company=company, period=month, actor=actor_for_user(user), reason=fields.get("reason")
            )
    except (month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        return _refused(request, company, month, exc)
    return RedirectResponse(f"{month_url(company, month)}?saved=unpublished", status_code=303)


def _refused(request: Request, company: Company, month: dt.date, exc: Exception) -> Response:
    message = (
        "; ".join(e["message"] for e in exc.errors) if isinstance(exc, month_queries.MonthValidationError) else str(exc)
    )
    return templates.TemplateResponse(
        request,
        "staff/months/refused.html",
        {"company": company, "period": month, "message": message, "back": month_url(company, month)},
        status_code=422,
        headers=NO_STORE,
    )
