"""Staff pages for monthly figures: the list of months and choosing a new one (the other jobs have a module
each: staff_month_edit for the entry form, staff_month_review for preview and publish, staff_month_history).

Routes (all for editors and admins; anonymous visitors are sent to the login page):

    GET       /staff/companies/{slug}/months                   months with their status
    GET       /staff/companies/{slug}/months/new               choose a month (?period=YYYY-MM redirects)
    GET/POST  /staff/companies/{slug}/months/{YYYY-MM}          the entry form (one row per site + company)
    GET       /staff/companies/{slug}/months/{YYYY-MM}/preview  the investor overview with drafts included
    POST      /staff/companies/{slug}/months/{YYYY-MM}/publish  publish every draft row of the month
    POST      /staff/companies/{slug}/months/{YYYY-MM}/unpublish  withdraw it (reason required)
    GET       /staff/companies/{slug}/months/{YYYY-MM}/history  audit entries of the month
    GET       /staff/companies/{slug}/sites/{site}/history     audit entries of one site
    GET       /staff/audit                                     the latest audit entries

Saving the form: every row is validated first; any error (422) or an unconfirmed treasury warning saves
nothing. Then all rows are written inside one savepoint, so a conflict or a refused correction on the
last row undoes the first ones too. Rows the editor did not touch (their values fingerprint equals the one
recorded when the form was loaded) are not written, so two editors entering different sites of the same
month do not collide. A row whose stored version moved on answers 409 with both versions side by side
and the form carrying the new versions, so submitting it again re-applies the editor's values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.domain.reports import add_months
from app.http.auth import EditorUser
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.schemas import format_period, parse_period
from app.store import queries
from app.store.models import Company, CompanyMonth, RecordStatus, SiteMonth
from app.store.queries import months as month_queries
from app.web.staff_month_form import (
    plain,
)

router = APIRouter()
templates.env.filters["plain"] = plain

NO_STORE = {"Cache-Control": "no-store"}


def period_or_404(text: str) -> dt.date:
    try:
        return parse_period(text)
    except ValueError:
        raise HTTPException(status_code=404, detail=f"{text!r} is not a month (use YYYY-MM)") from None


def month_url(company: Company, period: dt.date, suffix: str = "") -> str:
    return f"/staff/companies/{company.slug}/months/{format_period(period)}{suffix}"


def month_status(rows: list[SiteMonth | CompanyMonth]) -> str:
    """empty, draft, published, revised (published and corrected since) or partly published."""
    if not rows:
        return "empty"
    statuses = {r.status for r in rows}
    if statuses == {RecordStatus.draft}:
        return "draft"
    if statuses == {RecordStatus.published}:
        return "revised" if any(r.revised_at is not None for r in rows) else "published"
    return "partly published"


# --- list and new -------------------------------------------------------------------------------------


def row_state(row: SiteMonth | CompanyMonth | None) -> str:
    """One row's state in the month list: not entered, draft, published or revised."""
    if row is None:
        return "not entered"
    return month_status([row])


@router.get("/staff/companies/{slug}/months", response_class=HTMLResponse, name="staff:months")
def months_list(request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    """Every month from the company's first entered one to the current one, newest first; a missing month is
    listed as "not entered", so a gap in the releases shows. Each month has its state per site."""
    sites = list(queries.list_sites(company.id, session=session))
    company_rows = queries.list_company_months(company.id, session=session, published_only=False)
    site_rows = queries.list_site_months(company.id, session=session, published_only=False)
    by_period: dict[dt.date, dict[str, Any]] = defaultdict(lambda: {"company": None, "sites": {}})
    for crow in company_rows:
        by_period[crow.period]["company"] = crow
    for srow in site_rows:
        by_period[srow.period]["sites"][srow.site_id] = srow
    months = []
    period = month_queries.current_month()
    first = min(by_period, default=None)
    while first is not None and period >= first:
        entry = by_period.get(period) or {"company": None, "sites": {}}
        rows: list[SiteMonth | CompanyMonth] = [
            *entry["sites"].values(),
            *([entry["company"]] if entry["company"] else []),
        ]
        latest = max(rows, key=lambda r: r.updated_at) if rows else None
        months.append(
            {
                "period": period,
                "status": month_status(rows) if rows else "not entered",
                "btc_mined_total": entry["company"].btc_mined_total if entry["company"] else None,
                "sites_entered": len(entry["sites"]),
                "company_state": row_state(entry["company"]),
                "site_states": [row_state(entry["sites"].get(site.id)) for site in sites],
                "updated_by": latest.updated_by if latest else None,
                "updated_at": latest.updated_at if latest else None,
            }
        )
        period = add_months(period, -1)
    missing = sum(1 for m in months if m["status"] == "not entered")
    return templates.TemplateResponse(
        request,
        "staff/months/list.html",
        {
            "company": company,
            "months": months,
            "missing": missing,
            "sites": sites,
            "active_nav": "months",
            "user": user,
            "imported": _imported(request.query_params.get("imported")),
        },
        headers=NO_STORE,
    )


def _imported(text: str | None) -> dict[str, int] | None:
    """The counts an import redirected with (`created-updated-published`)."""
    parts = (text or "").split("-")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 7 for p in parts):
        return None
    return dict(zip(("created", "updated", "published"), map(int, parts), strict=True))


def _suggested_period(company: Company, session: Session) -> dt.date:
    """The month after the latest entered one, else the last closed month."""
    last_closed = add_months(month_queries.current_month(), -1)
    rows = queries.list_company_months(company.id, session=session, published_only=False)
    site_rows = queries.list_site_months(company.id, session=session, published_only=False)
    periods = [r.period for r in rows] + [r.period for r in site_rows]
    if not periods:
        return last_closed
    return min(add_months(max(periods), 1), month_queries.current_month())


@router.get("/staff/companies/{slug}/months/new", response_class=HTMLResponse, name="staff:month_new")
def month_new(request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    text = request.query_params.get("period")
    error = None
    if text is not None:
        try:
            period = parse_period(text)
        except ValueError as exc:
            error = str(exc)
        else:
            problems = month_queries.check_period(period)
            if not problems:
                return RedirectResponse(month_url(company, period), status_code=303)
            error = problems[0]["message"]
    suggested = format_period(_suggested_period(company, session))
    return templates.TemplateResponse(
        request,
        "staff/months/new.html",
        {
            "company": company,
            "value": text if text is not None else suggested,
            "max_period": format_period(month_queries.current_month()),
            "error": error,
            "active_nav": "months",
        },
        status_code=422 if error else 200,
        headers=NO_STORE,
    )


# --- the form -----------------------------------------------------------------------------------------


# --- preview, publish, unpublish ----------------------------------------------------------------------


# --- history ------------------------------------------------------------------------------------------
