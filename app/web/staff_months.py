"""Staff pages for monthly figures: the list of months, the entry form, preview, publish, history.

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
import hashlib
import json
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.domain import metrics
from app.domain.reports import add_months
from app.http.auth import EditorUser, actor_for_user
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.schemas import format_period, parse_period
from app.store import queries
from app.store.models import AuditEntry, Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries import audit as audit_queries
from app.store.queries import months as month_queries
from app.web.forms import FormFields
from app.web.staff_month_form import (
    COMPANY_MAIN_FIELDS,
    COMPANY_METRIC_FIELDS,
    HASHRATE_FIELDS,
    HASHRATE_UNITS,
    SITE_METRIC_FIELDS,
    MonthFormFields,
    RowForm,
    compute_totals,
    plain,
    read_rows,
    rows_from_stored,
)

router = APIRouter()
templates.env.filters["plain"] = plain

NO_STORE = {"Cache-Control": "no-store"}


def _period_or_404(text: str) -> dt.date:
    try:
        return parse_period(text)
    except ValueError:
        raise HTTPException(status_code=404, detail=f"{text!r} is not a month (use YYYY-MM)") from None


def _month_url(company: Company, period: dt.date, suffix: str = "") -> str:
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


def fingerprint(data: dict[str, Any]) -> str:
    """A short digest of a row's values, to tell later whether the editor changed the row."""
    canonical = json.dumps({k: plain(v) if not isinstance(v, bool) else v for k, v in data.items()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def _stored_fingerprint(row: SiteMonth | CompanyMonth | None, names: tuple[str, ...]) -> str:
    if row is None:
        return ""
    return fingerprint({n: getattr(row, n) for n in (*names, "note", "source_url", "is_estimate")})


def _posted_fingerprint(row: RowForm) -> str:
    if row.data is None:
        return "?"
    if row.is_empty:
        return ""
    return fingerprint({n: getattr(row.data, n) for n in (*row.metric_fields, "note", "source_url", "is_estimate")})


# --- list and new -------------------------------------------------------------------------------------


@router.get("/staff/companies/{slug}/months", response_class=HTMLResponse, name="staff:months")
def months_list(request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    sites = list(queries.list_sites(company.id, session=session))
    company_rows = queries.list_company_months(company.id, session=session, published_only=False)
    site_rows = queries.list_site_months(company.id, session=session, published_only=False)
    by_period: dict[dt.date, dict[str, Any]] = defaultdict(lambda: {"company": None, "sites": []})
    for crow in company_rows:
        by_period[crow.period]["company"] = crow
    for srow in site_rows:
        by_period[srow.period]["sites"].append(srow)
    months = []
    for period in sorted(by_period, reverse=True):
        entry = by_period[period]
        rows: list[SiteMonth | CompanyMonth] = [*entry["sites"], *([entry["company"]] if entry["company"] else [])]
        latest = max(rows, key=lambda r: r.updated_at)
        months.append(
            {
                "period": period,
                "status": month_status(rows),
                "btc_mined_total": entry["company"].btc_mined_total if entry["company"] else None,
                "sites_entered": len(entry["sites"]),
                "updated_by": latest.updated_by,
                "updated_at": latest.updated_at,
            }
        )
    return templates.TemplateResponse(
        request,
        "staff/months/list.html",
        {
            "company": company,
            "months": months,
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
                return RedirectResponse(_month_url(company, period), status_code=303)
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


def _context(
    request: Request,
    company: Company,
    period: dt.date,
    sites: list[Site],
    rows: list[RowForm],
    *,
    session: Session,
    hashrate_unit: str,
    stored: list[SiteMonth | CompanyMonth],
    **extra: Any,
) -> dict[str, Any]:
    previous = month_queries.get_company_month(company, add_months(period, -1), session=session)
    previous_held = previous.btc_held_end if previous is not None else None
    site_values = [
        {n: getattr(r.data, n) for n in SITE_METRIC_FIELDS}
        for r in rows
        if r.site is not None and r.data is not None and not r.is_empty
    ]
    company_row = rows[-1]
    company_values = {n: getattr(company_row.data, n) for n in COMPANY_METRIC_FIELDS} if company_row.data else {}
    status = month_status(stored)
    return {
        "company": company,
        "period": period,
        "period_text": format_period(period),
        "sites": sites,
        "site_rows": rows[:-1],
        "company_row": company_row,
        "site_fields": SITE_METRIC_FIELDS,
        "company_main_fields": COMPANY_MAIN_FIELDS,
        "company_other_fields": tuple(f for f in COMPANY_METRIC_FIELDS if f not in COMPANY_MAIN_FIELDS),
        "hashrate_fields": HASHRATE_FIELDS,
        "company_other_open": bool(company_row.errors)
        or not sites
        or any(company_row.values.get(f, "").strip() for f in COMPANY_METRIC_FIELDS if f not in COMPANY_MAIN_FIELDS),
        "hashrate_unit": hashrate_unit,
        "hashrate_units": tuple(HASHRATE_UNITS),
        "totals": compute_totals(period, site_values, company_values, previous_held),
        "previous_held_end": previous_held,
        "days_in_month": metrics.days_in_month(period),
        "status": status,
        "has_published": any(r.published_at is not None for r in stored),
        "month_url": _month_url(company, period),
        "previous_url": _month_url(company, add_months(period, -1)),
        "next_url": _month_url(company, add_months(period, 1))
        if add_months(period, 1) <= month_queries.current_month()
        else None,
        "active_nav": "months",
        "page_errors": [],
        "warnings": [],
        "reason": "",
        "reason_error": None,
        "conflict": None,
        "saved": None,
        **extra,
    }


def _stored_rows(company: Company, period: dt.date, session: Session) -> tuple[CompanyMonth | None, list[SiteMonth]]:
    return month_queries.list_month_rows(company, period, session=session)


def _with_fingerprints(rows: list[RowForm], company_row: CompanyMonth | None, site_rows: list[SiteMonth]) -> None:
    by_site = {r.site_id: r for r in site_rows}
    for row in rows:
        if row.site is not None:
            row.loaded = _stored_fingerprint(by_site.get(row.site.id), SITE_METRIC_FIELDS)
        else:
            row.loaded = _stored_fingerprint(company_row, COMPANY_METRIC_FIELDS)


@router.get("/staff/companies/{slug}/months/{period}", response_class=HTMLResponse, name="staff:month")
def month_form(request: Request, company: CompanyOr404, period: str, user: EditorUser, session: SessionDep) -> Response:
    month = _period_or_404(period)
    problems = month_queries.check_period(month)
    if problems:
        raise HTTPException(status_code=404, detail=problems[0]["message"])
    sites = list(queries.list_sites(company.id, session=session))
    company_row, site_rows = _stored_rows(company, month, session)
    unit = request.query_params.get("unit", "EH/s")
    unit = unit if unit in HASHRATE_UNITS else "EH/s"
    rows = rows_from_stored(sites, company_row, site_rows, unit)
    _with_fingerprints(rows, company_row, site_rows)
    stored: list[SiteMonth | CompanyMonth] = [*site_rows, *([company_row] if company_row else [])]
    saved = request.query_params.get("saved")
    context = _context(
        request,
        company,
        month,
        sites,
        rows,
        session=session,
        hashrate_unit=unit,
        stored=stored,
        saved=saved if saved in ("draft", "published", "correction", "unpublished", "unchanged") else None,
    )
    # The server's own totals of what is stored, beside the live ones the script computes.
    site_values = [{n: getattr(r, n) for n in SITE_METRIC_FIELDS} for r in site_rows]
    company_values = {n: getattr(company_row, n) for n in COMPANY_METRIC_FIELDS} if company_row else {}
    context["totals"] = compute_totals(month, site_values, company_values, context["previous_held_end"])
    return templates.TemplateResponse(request, "staff/months/form.html", context, headers=NO_STORE)


@router.post("/staff/companies/{slug}/months/{period}", response_class=HTMLResponse)
def month_save(
    request: Request,
    company: CompanyOr404,
    period: str,
    user: EditorUser,
    session: SessionDep,
    fields: MonthFormFields,
) -> Response:
    month = _period_or_404(period)
    sites = list(queries.list_sites(company.id, session=session))
    unit = fields.get("hashrate_unit", "EH/s")
    unit = unit if unit in HASHRATE_UNITS else "EH/s"
    rows = read_rows(fields, sites, unit)
    for row in rows:
        row.loaded = fields.get(row.name("loaded"), "")
    publish = fields.get("action") == "publish"
    reason = fields.get("reason", "")
    actor = actor_for_user(user)
    company_row, site_rows = _stored_rows(company, month, session)
    stored: list[SiteMonth | CompanyMonth] = [*site_rows, *([company_row] if company_row else [])]
    by_site = {r.site_id: r for r in site_rows}
    for row in rows:
        current = by_site.get(row.site.id) if row.site is not None else company_row
        if current is not None:
            row.status, row.updated_by, row.updated_at = current.status.value, current.updated_by, current.updated_at
            row.is_illustrative = bool(getattr(current, "is_illustrative", False))

    def render(status_code: int, **extra: Any) -> Response:
        context = _context(
            request, company, month, sites, rows, session=session, hashrate_unit=unit, stored=stored, **extra
        )
        return templates.TemplateResponse(
            request, "staff/months/form.html", context, status_code=status_code, headers=NO_STORE
        )

    page_errors = [p["message"] for p in month_queries.check_period(month)]
    if len(reason.strip()) > month_queries.REASON_MAX:
        return render(422, reason=reason, reason_error=f"at most {month_queries.REASON_MAX} characters")
    warnings = []
    company_form = rows[-1]
    if company_form.data is not None and not company_form.is_empty:
        check = month_queries.treasury_warning(session=session, company=company, period=month, data=company_form.data)
        if check is not None:
            confirmed = fields.get("confirm_treasury") == plain(check.difference)
            warnings.append({"message": check.message, "difference": plain(check.difference), "confirmed": confirmed})
    if page_errors or any(r.errors for r in rows) or any(not w["confirmed"] for w in warnings):
        return render(422, page_errors=page_errors, warnings=warnings, reason=reason)

    try:
        with session.begin_nested():
            written = _write_rows(rows, company, month, session, actor, publish, reason)
    except month_queries.VersionConflict:
        return _conflict(render, rows, company, month, session, unit, reason, warnings)
    except month_queries.ReasonRequired as exc:
        return render(422, warnings=warnings, reason=reason, reason_error=str(exc))
    except month_queries.MonthValidationError as exc:
        return render(422, warnings=warnings, reason=reason, page_errors=[e["message"] for e in exc.errors])
    saved = "unchanged" if not written else ("correction" if reason.strip() else ("published" if publish else "draft"))
    return RedirectResponse(f"{_month_url(company, month)}?saved={saved}&unit={unit}", status_code=303)


def _write_rows(
    rows: list[RowForm],
    company: Company,
    month: dt.date,
    session: Session,
    actor: Any,
    publish: bool,
    reason: str,
) -> int:
    """Write every row the editor changed (and, when publishing, every stored draft row); returns how many."""
    written = 0
    for row in rows:
        untouched = _posted_fingerprint(row) == row.loaded
        stored_is_draft = row.status == RecordStatus.draft.value
        if untouched and not (publish and stored_is_draft):
            continue
        if row.is_empty:
            if row.version is None:
                continue
            if row.site is not None:
                month_queries.delete_site_month(
                    session=session,
                    site=row.site,
                    period=month,
                    actor=actor,
                    expected_version=row.version,
                    reason=reason,
                )
                written += 1
                continue
        assert row.data is not None
        before_version = row.version
        if row.site is not None:
            assert isinstance(row.data, month_queries.SiteMonthCreate)
            saved: SiteMonth | CompanyMonth = month_queries.save_site_month(
                session=session,
                site=row.site,
                period=month,
                data=row.data,
                actor=actor,
                expected_version=row.version,
                publish=publish,
                reason=reason,
                company=company,
            )
        else:
            assert isinstance(row.data, month_queries.CompanyMonthCreate)
            saved = month_queries.save_company_month(
                session=session,
                company=company,
                period=month,
                data=row.data,
                actor=actor,
                expected_version=row.version,
                publish=publish,
                reason=reason,
            )
        written += int(saved.version != before_version)
    return written


def _conflict(
    render: Any,
    rows: list[RowForm],
    company: Company,
    month: dt.date,
    session: Session,
    unit: str,
    reason: str,
    warnings: list[dict[str, Any]],
) -> Response:
    """409: the other editor's saved values beside the editor's, the form ready to re-apply on top."""
    company_row, site_rows = _stored_rows(company, month, session)
    by_site = {r.site_id: r for r in site_rows}
    others: set[str] = set()
    for row in rows:
        current = by_site.get(row.site.id) if row.site is not None else company_row
        current_version = current.version if current is not None else None
        if current_version == row.version:
            continue
        names = row.metric_fields
        for name in (*names, "note", "source_url"):
            theirs = getattr(current, name) if current is not None else None
            if name in HASHRATE_FIELDS and theirs is not None:
                theirs = theirs * HASHRATE_UNITS[unit]
            text = plain(theirs)
            if text != row.values.get(name, "").strip():
                row.theirs[name] = text or "(empty)"
        if current is not None and bool(current.is_estimate) != row.is_estimate:
            row.theirs["is_estimate"] = "yes" if current.is_estimate else "no"
        if current is None:
            row.theirs["_row"] = "deleted"
        else:
            row.status, row.updated_by, row.updated_at = current.status.value, current.updated_by, current.updated_at
            others.add(current.updated_by or "someone")
        row.version = current_version
        row.loaded = _stored_fingerprint(current, names)
    return render(409, conflict={"by": sorted(others)}, reason=reason, warnings=warnings)


# --- preview, publish, unpublish ----------------------------------------------------------------------


@router.get("/staff/companies/{slug}/months/{period}/preview", response_class=HTMLResponse, name="staff:preview")
def month_preview(
    request: Request, company: CompanyOr404, period: str, user: EditorUser, session: SessionDep
) -> Response:
    from app.web.dashboard import render_overview

    _period_or_404(period)
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
    month = _period_or_404(period)
    try:
        with session.begin_nested():
            month_queries.publish_month(
                session=session, company=company, period=month, actor=actor_for_user(user), reason=fields.get("reason")
            )
    except (month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        return _refused(request, company, month, exc)
    return RedirectResponse(f"{_month_url(company, month)}?saved=published", status_code=303)


@router.post("/staff/companies/{slug}/months/{period}/unpublish", response_class=HTMLResponse)
def month_unpublish(
    request: Request,
    company: CompanyOr404,
    period: str,
    user: EditorUser,
    session: SessionDep,
    fields: FormFields,
) -> Response:
    month = _period_or_404(period)
    try:
        with session.begin_nested():
            month_queries.unpublish_month(
                session=session, company=company, period=month, actor=actor_for_user(user), reason=fields.get("reason")
            )
    except (month_queries.ReasonRequired, month_queries.MonthValidationError) as exc:
        return _refused(request, company, month, exc)
    return RedirectResponse(f"{_month_url(company, month)}?saved=unpublished", status_code=303)


def _refused(request: Request, company: Company, month: dt.date, exc: Exception) -> Response:
    message = (
        "; ".join(e["message"] for e in exc.errors) if isinstance(exc, month_queries.MonthValidationError) else str(exc)
    )
    return templates.TemplateResponse(
        request,
        "staff/months/refused.html",
        {"company": company, "period": month, "message": message, "back": _month_url(company, month)},
        status_code=422,
        headers=NO_STORE,
    )


# --- history ------------------------------------------------------------------------------------------


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
    month = _period_or_404(period)
    sites = list(queries.list_sites(company.id, session=session))
    entries = audit_queries.list_audit_entries(session=session, company_id=company.id, period=month)
    return templates.TemplateResponse(
        request,
        "staff/months/history.html",
        {
            "company": company,
            "title": f"{company.name}: history of {month:%B %Y}",
            "entries": _history_entries(entries, sites),
            "back": _month_url(company, month),
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
