"""Staff pages of the audit trail: a month's history, a site's history, the latest entries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from app.domain import metrics
from app.http.auth import EditorUser
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.store import queries
from app.store.models import AuditEntry, Site
from app.store.queries import audit as audit_queries
from app.web.staff_months import NO_STORE, month_url, period_or_404

router = APIRouter()


def _changes(entry: AuditEntry) -> list[dict[str, Any]]:
    """Field by field: old -> new, for the fields that differ (lifecycle bookkeeping left out)."""
    before = entry.before or {}
    after = entry.after or {}
    skip = {"version", "updated_by", "published_at", "revised_at", "revision_reason", "figure_sources"}
    names = [n for n in dict.fromkeys([*before, *after]) if n not in skip]
    out = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        out.append({"field": name, "old": old, "new": new, "unit": _unit(name)})
    return out


def _unit(name: str) -> str:
    spec = metrics.METRICS.get(name)
    return spec.unit if spec else ""


def _what(entry: AuditEntry, site_names: dict[int, str]) -> str:
    if entry.entity == "site_month":
        return site_names.get(entry.site_id or 0, f"site #{entry.site_id}")
    if entry.entity == "company_month":
        return "Company figures"
    return f"{entry.entity} #{entry.entity_id}" if entry.entity_id is not None else entry.entity


def _history_entries(entries: Any, sites: list[Site]) -> list[dict[str, Any]]:
    site_names = {s.id: s.name for s in sites}
    return [
        {
            "entry": e,
            "what": _what(e, site_names),
            "changes": _changes(e),
        }
        for e in entries
    ]


@router.get("/staff/companies/{slug}/months/{period}/history", response_class=HTMLResponse, name="staff:history")
def month_history(
    request: Request, company: CompanyOr404, period: str, user: EditorUser, session: SessionDep
) -> Response:
    month = period_or_404(period)
    sites = list(queries.list_sites(company.id, session=session))
    entries = audit_queries.list_audit_entries(session=session, company_id=company.id, period=month)
    return templates.TemplateResponse(
        request,
        "staff/months/history.html",
        {
            "company": company,
            "title": f"{company.name}: history of {month:%B %Y}",
            "entries": _history_entries(entries, sites),
            "back": month_url(company, month),
            "back_label": f"Back to {month:%B %Y}",
            "active_nav": "months",
        },
        headers=NO_STORE,
    )


@router.get("/staff/companies/{slug}/sites/{site_slug}/history", response_class=HTMLResponse, name="staff:site_history")
def site_history(
    request: Request, company: CompanyOr404, site_slug: str, user: EditorUser, session: SessionDep
) -> Response:
    site = queries.get_site(company.id, site_slug, session=session)
    if site is None:
        raise HTTPException(status_code=404, detail=f"No site {site_slug!r} in {company.name}")
    entries = audit_queries.list_audit_entries(session=session, site_id=site.id)
    return templates.TemplateResponse(
        request,
        "staff/months/history.html",
        {
            "company": company,
            "title": f"{site.name}: history",
            "entries": _history_entries(entries, [site]),
            "back": f"/staff/companies/{company.slug}/months",
            "back_label": f"Back to {company.name}'s months",
            "show_period": True,
            "active_nav": "months",
        },
        headers=NO_STORE,
    )


@router.get("/staff/audit", response_class=HTMLResponse, name="staff:audit")
def audit_list(request: Request, user: EditorUser, session: SessionDep) -> Response:
    entries = audit_queries.list_audit_entries(session=session, limit=200)
    companies = {c.id: c for c in queries.list_companies(session=session)}
    sites = [s for c in companies.values() for s in queries.list_sites(c.id, session=session)]
    rows = _history_entries(entries, sites)
    for row in rows:
        company = companies.get(row["entry"].company_id)
        row["company"] = company
    return templates.TemplateResponse(
        request,
        "staff/months/history.html",
        {
            "title": "Audit trail: the latest changes",
            "entries": rows,
            "show_period": True,
            "show_company": True,
            "active_nav": "audit",
        },
        headers=NO_STORE,
    )
