"""Admin: a site's capacity over time. Each entry is the capacity (MW) from a month on; the site form lists them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.http.auth import AdminUser, actor_for_user
from app.http.deps import SessionDep
from app.schemas.admin import SiteCapacityCreate
from app.store import queries
from app.store.models import AuditAction
from app.store.queries import entities
from app.store.queries.audit import record_audit
from app.store.queries.site_life import set_site_capacity
from app.web.admin_companies import _company_or_404, _site_form, _site_or_404, _values_of
from app.web.forms import FormFields, parse_form

router = APIRouter()
FORM_NAMES = {
    "effective_month": "effective_month",
    "capacity_mw": "entry_capacity_mw",
    "source_url": "entry_source_url",
}


@router.post(
    "/staff/admin/companies/{slug}/sites/{site_slug}/capacity",
    response_class=HTMLResponse,
    name="admin:site_capacity_post",
)
def add_capacity(
    request: Request, slug: str, site_slug: str, user: AdminUser, session: SessionDep, form: FormFields
) -> Response:
    """Add (or replace) the capacity from one month on; the site's current capacity follows the latest entry."""
    company = _company_or_404(slug, session)
    site = _site_or_404(company, site_slug, session)
    # The entry's inputs are prefixed: the site's own form on the same page has a capacity field too.
    fields = {name: form.get(FORM_NAMES[name], "") for name in FORM_NAMES}
    data, errors = parse_form(SiteCapacityCreate, fields)
    if data is None:
        errors = {FORM_NAMES.get(k, k): v for k, v in errors.items()}
        values = _values_of(site, entities.SITE_FIELDS)
        values["retired_on"] = values["retired_on"][:7]
        return _site_form(
            request,
            company=company,
            site=site,
            values=values,
            errors={},
            session=session,
            status=422,
            capacity_values=form,
            capacity_errors=errors,
        )
    before = site.capacity_mw
    set_site_capacity(site, data.effective_month, data.capacity_mw, data.source_url, session=session)
    record_audit(
        session=session,
        actor=actor_for_user(user),
        action=AuditAction.update,
        entity="site",
        entity_id=site.id,
        company_id=company.id,
        site_id=site.id,
        before={"capacity_mw": str(before) if before is not None else None},
        after={
            "capacity_mw": str(site.capacity_mw),
            "capacity_from": f"{data.effective_month:%Y-%m}",
            "capacity_entry_mw": str(data.capacity_mw),
        },
    )
    queries.bump_data_revision(session=session, companies=[company.id])
    return RedirectResponse(
        f"/staff/admin/companies/{company.slug}/sites/{site.slug}?done=saved#capacity", status_code=303
    )
