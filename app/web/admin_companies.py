"""Admin pages for companies, their sites and their events."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.http.auth import AdminUser, actor_for_user
from app.http.deps import RowId, SessionDep
from app.http.templating import templates
from app.schemas.admin import CompanyCreate, EventCreate, SiteCreate
from app.store import queries
from app.store.models import Company, Event, EventKind, Site, SiteStatus
from app.store.queries import entities
from app.store.queries.site_life import list_site_capacity
from app.web.forms import FormFields, parse_form

router = APIRouter()

MONTHS = [(str(n), dt.date(2000, n, 1).strftime("%B")) for n in range(1, 13)]
SITE_STATUSES = [(s.value, s.value.replace("_", " ").capitalize()) for s in SiteStatus]
EVENT_KINDS = [(k.value, k.value.capitalize()) for k in EventKind]
NOTICES = {
    "created": "Created.",
    "saved": "Saved.",
    "deleted": "Deleted.",
}


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _values_of(row: object, fields: Iterable[str]) -> dict[str, str]:
    return {name: _form_value(getattr(row, name)) for name in fields}


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done") or "")


def _company_or_404(slug: str, session: Session) -> Company:
    company = queries.get_company(slug, session=session)
    if company is None:
        raise HTTPException(status_code=404, detail="No such company.")
    return company


def _site_or_404(company: Company, site_slug: str, session: Session) -> Site:
    site = queries.get_site(company.id, site_slug, session=session)
    if site is None:
        raise HTTPException(status_code=404, detail="No such site.")
    return site


def _event_or_404(company: Company, event_id: int, session: Session) -> Event:
    event = entities.get_company_event(company.id, event_id, session=session)
    if event is None:
        raise HTTPException(status_code=404, detail="No such event.")
    return event


# ---- companies -----------------------------------------------------------------------------------------------


@router.get("/staff/admin/companies", response_class=HTMLResponse, name="admin:companies")
def companies_list(request: Request, user: AdminUser, session: SessionDep) -> Response:
    return templates.TemplateResponse(
        request, "staff/admin/companies.html", {"companies": queries.list_companies(session=session), "months": MONTHS}
    )


def _company_form(
    request: Request,
    *,
    company: Company | None,
    values: dict[str, str],
    errors: dict[str, str],
    session: Session,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "company": company,
        "values": values,
        "errors": errors,
        "months": MONTHS,
        "notice": _notice(request) if status == 200 else None,
    }
    if company is not None:
        context["sites"] = queries.list_sites(company.id, session=session)
        context["events"] = entities.list_company_events(company.id, session=session)
        context["site_names"] = {s.id: s.name for s in context["sites"]}
        context["plain_number"] = _form_value
    return templates.TemplateResponse(request, "staff/admin/company_form.html", context, status_code=status)


@router.get("/staff/admin/companies/new", response_class=HTMLResponse, name="admin:company_new")
def company_new_form(request: Request, user: AdminUser, session: SessionDep) -> Response:
    return _company_form(request, company=None, values={"fiscal_year_end_month": "12"}, errors={}, session=session)


@router.post("/staff/admin/companies/new", response_class=HTMLResponse, name="admin:company_new_post")
def company_new(request: Request, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    data, errors = parse_form(CompanyCreate, form)
    if data is not None:
        try:
            company = entities.create_company(session=session, data=data, actor=actor_for_user(user))
        except entities.EntityError as exc:
            errors = {exc.field: exc.message}
        else:
            return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=created", status_code=303)
    return _company_form(request, company=None, values=form, errors=errors, session=session, status=422)


@router.get("/staff/admin/companies/{slug}", response_class=HTMLResponse, name="admin:company")
def company_edit_form(request: Request, slug: str, user: AdminUser, session: SessionDep) -> Response:
    company = _company_or_404(slug, session)
    values = _values_of(company, entities.COMPANY_FIELDS)
    return _company_form(request, company=company, values=values, errors={}, session=session)


@router.post("/staff/admin/companies/{slug}", response_class=HTMLResponse, name="admin:company_post")
def company_edit(request: Request, slug: str, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    company = _company_or_404(slug, session)
    data, errors = parse_form(CompanyCreate, form)
    if data is not None:
        try:
            entities.update_company(company, session=session, data=data, actor=actor_for_user(user))
        except entities.EntityError as exc:
            errors = {exc.field: exc.message}
        else:
            return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=saved", status_code=303)
    return _company_form(request, company=company, values=form, errors=errors, session=session, status=422)


# ---- sites ---------------------------------------------------------------------------------------------------


def _site_form(
    request: Request,
    *,
    company: Company,
    site: Site | None,
    values: dict[str, str],
    errors: dict[str, str],
    session: Session,
    status: int = 200,
    capacity_values: dict[str, str] | None = None,
    capacity_errors: dict[str, str] | None = None,
) -> Response:
    months = entities.count_site_months(site.id, session=session) if site is not None else 0
    return templates.TemplateResponse(
        request,
        "staff/admin/site_form.html",
        {
            "company": company,
            "site": site,
            "values": values,
            "errors": errors,
            "statuses": SITE_STATUSES,
            "month_count": months,
            "notice": _notice(request) if status == 200 else None,
            # The site's capacity over time, and the form that adds an entry (app.web.admin_site_life).
            "capacity": list_site_capacity(site.id, session=session) if site is not None else [],
            "capacity_values": capacity_values or {},
            "capacity_errors": capacity_errors or {},
        },
        status_code=status,
    )


@router.get("/staff/admin/companies/{slug}/sites/new", response_class=HTMLResponse, name="admin:site_new")
def site_new_form(request: Request, slug: str, user: AdminUser, session: SessionDep) -> Response:
    company = _company_or_404(slug, session)
    return _site_form(request, company=company, site=None, values={"status": "operating"}, errors={}, session=session)


@router.post("/staff/admin/companies/{slug}/sites/new", response_class=HTMLResponse, name="admin:site_new_post")
def site_new(request: Request, slug: str, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    company = _company_or_404(slug, session)
    data, errors = parse_form(SiteCreate, form)
    if data is not None:
        try:
            entities.create_site(company, session=session, data=data, actor=actor_for_user(user))
        except entities.EntityError as exc:
            errors = {exc.field: exc.message}
        else:
            return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=created#sites", status_code=303)
    return _site_form(request, company=company, site=None, values=form, errors=errors, session=session, status=422)


@router.get("/staff/admin/companies/{slug}/sites/{site_slug}", response_class=HTMLResponse, name="admin:site")
def site_edit_form(request: Request, slug: str, site_slug: str, user: AdminUser, session: SessionDep) -> Response:
    company = _company_or_404(slug, session)
    site = _site_or_404(company, site_slug, session)
    values = _values_of(site, entities.SITE_FIELDS)
    values["retired_on"] = values["retired_on"][:7]  # a month input: YYYY-MM
    return _site_form(request, company=company, site=site, values=values, errors={}, session=session)


@router.post("/staff/admin/companies/{slug}/sites/{site_slug}", response_class=HTMLResponse, name="admin:site_post")
def site_edit(
    request: Request, slug: str, site_slug: str, user: AdminUser, session: SessionDep, form: FormFields
) -> Response:
    company = _company_or_404(slug, session)
    site = _site_or_404(company, site_slug, session)
    actor = actor_for_user(user)
    if form.get("action") == "delete":
        try:
            entities.delete_site(site, session=session, actor=actor)
        except entities.EntityError as exc:
            values = _values_of(site, entities.SITE_FIELDS)
            return _site_form(
                request,
                company=company,
                site=site,
                values=values,
                errors={exc.field: exc.message},
                session=session,
                status=422,
            )
        return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=deleted#sites", status_code=303)
    data, errors = parse_form(SiteCreate, form)
    if data is not None:
        try:
            entities.update_site(site, session=session, data=data, actor=actor)
        except entities.EntityError as exc:
            errors = {exc.field: exc.message}
        else:
            return RedirectResponse(
                f"/staff/admin/companies/{company.slug}/sites/{site.slug}?done=saved", status_code=303
            )
    return _site_form(request, company=company, site=site, values=form, errors=errors, session=session, status=422)


# ---- events --------------------------------------------------------------------------------------------------


def _event_form(
    request: Request,
    *,
    company: Company,
    event: Event | None,
    values: dict[str, str],
    errors: dict[str, str],
    session: Session,
    status: int = 200,
) -> Response:
    sites = queries.list_sites(company.id, session=session)
    return templates.TemplateResponse(
        request,
        "staff/admin/event_form.html",
        {
            "company": company,
            "event": event,
            "values": values,
            "errors": errors,
            "kinds": EVENT_KINDS,
            "site_options": [("", "The whole company"), *((str(s.id), s.name) for s in sites)],
            "notice": _notice(request) if status == 200 else None,
        },
        status_code=status,
    )


@router.get("/staff/admin/companies/{slug}/events/new", response_class=HTMLResponse, name="admin:event_new")
def event_new_form(request: Request, slug: str, user: AdminUser, session: SessionDep) -> Response:
    company = _company_or_404(slug, session)
    return _event_form(request, company=company, event=None, values={"kind": "other"}, errors={}, session=session)


@router.post("/staff/admin/companies/{slug}/events/new", response_class=HTMLResponse, name="admin:event_new_post")
def event_new(request: Request, slug: str, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    company = _company_or_404(slug, session)
    data, errors = parse_form(EventCreate, form)
    if data is not None:
        try:
            entities.create_event(company, session=session, data=data, actor=actor_for_user(user))
        except entities.EntityError as exc:
            errors = {exc.field: exc.message}
        else:
            return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=created#events", status_code=303)
    return _event_form(request, company=company, event=None, values=form, errors=errors, session=session, status=422)


@router.get("/staff/admin/companies/{slug}/events/{event_id}", response_class=HTMLResponse, name="admin:event")
def event_edit_form(request: Request, slug: str, event_id: RowId, user: AdminUser, session: SessionDep) -> Response:
    company = _company_or_404(slug, session)
    event = _event_or_404(company, event_id, session)
    values = _values_of(event, entities.EVENT_FIELDS)
    return _event_form(request, company=company, event=event, values=values, errors={}, session=session)


@router.post("/staff/admin/companies/{slug}/events/{event_id}", response_class=HTMLResponse, name="admin:event_post")
def event_edit(
    request: Request, slug: str, event_id: RowId, user: AdminUser, session: SessionDep, form: FormFields
) -> Response:
    company = _company_or_404(slug, session)
    event = _event_or_404(company, event_id, session)
    actor = actor_for_user(user)
    if form.get("action") == "delete":
        entities.delete_event(event, session=session, actor=actor)
        return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=deleted#events", status_code=303)
    data, errors = parse_form(EventCreate, form)
    if data is not None:
        try:
            entities.update_event(event, company, session=session, data=data, actor=actor)
        except entities.EntityError as exc:
            errors = {exc.field: exc.message}
        else:
            return RedirectResponse(f"/staff/admin/companies/{company.slug}?done=saved#events", status_code=303)
    return _event_form(request, company=company, event=event, values=form, errors=errors, session=session, status=422)
