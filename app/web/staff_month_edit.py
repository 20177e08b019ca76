"""The monthly entry form: load, validate, save every row in one savepoint, and answer conflicts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.domain import formulas
from app.domain.reports import add_months
from app.http.auth import EditorUser, actor_for_user
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.schemas import format_period
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.store import queries
from app.store.models import Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries import months as month_queries
from app.web import staff_month_checks as checks
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
from app.web.staff_months import NO_STORE, month_status, month_url, period_or_404

router = APIRouter()


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
        "days_in_month": formulas.days_in_month(period),
        "status": status,
        "has_published": any(r.published_at is not None for r in stored),
        "month_url": month_url(company, period),
        "previous_url": month_url(company, add_months(period, -1)),
        "next_url": month_url(company, add_months(period, 1))
        if add_months(period, 1) <= month_queries.current_month()
        else None,
        "active_nav": "months",
        "page_errors": [],
        "warnings": [],
        "reason": "",
        "reason_error": None,
        "conflict": None,
        "saved": None,
        "removal": None,
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
    month = period_or_404(period)
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
    month = period_or_404(period)
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
    # A site's figures only inside its life (energized month to retired month).
    page_errors += [
        p["message"]
        for r in rows
        if r.site is not None and not r.is_empty
        for p in month_queries.check_site_life(r.site, month)
    ]
    if len(reason.strip()) > month_queries.REASON_MAX:
        return render(422, reason=reason, reason_error=f"at most {month_queries.REASON_MAX} characters")
    warnings = []
    company_form = rows[-1]
    if isinstance(company_form.data, CompanyMonthCreate) and not company_form.is_empty:
        check = month_queries.treasury_warning(session=session, company=company, period=month, data=company_form.data)
        if check is not None:
            confirmed = fields.get("confirm_treasury") == plain(check.difference)
            warnings.append({"message": check.message, "difference": plain(check.difference), "confirmed": confirmed})
    # Every problem at once: field errors, the treasury, removals of published figures and the reason.
    removals = checks.published_removals(rows, by_site, company_row, unit)
    token = checks.removals_token(removals) if removals else ""
    removal = {"items": removals, "token": token, "confirmed": bool(token) and fields.get("confirm_removals") == token}
    touched = {r.key for r in rows if _posted_fingerprint(r) != r.loaded}
    reason_error = None
    if not reason.strip() and checks.reason_needed(rows, touched, by_site, company_row, publish=publish):
        reason_error = (
            "This month is published: say why it changes (the reason is shown to investors with the correction)"
        )
    blocked = any(r.errors for r in rows) or any(not w["confirmed"] for w in warnings)
    if page_errors or blocked or (removals and not removal["confirmed"]) or reason_error:
        return render(
            422, page_errors=page_errors, warnings=warnings, reason=reason, reason_error=reason_error, removal=removal
        )

    try:
        with session.begin_nested():
            written = _write_rows(rows, company, month, session, actor, publish, reason)
    except month_queries.VersionConflict:
        return _conflict(render, rows, company, month, session, unit, reason, warnings)
    except month_queries.ReasonRequired as exc:
        return render(422, warnings=warnings, reason=reason, reason_error=str(exc), removal=removal)
    except month_queries.MonthValidationError as exc:
        errors = [e["message"] for e in exc.errors]
        return render(422, warnings=warnings, reason=reason, page_errors=errors, removal=removal)
    saved = "unchanged" if not written else ("correction" if reason.strip() else ("published" if publish else "draft"))
    return RedirectResponse(f"{month_url(company, month)}?saved={saved}&unit={unit}", status_code=303)


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
            assert isinstance(row.data, SiteMonthCreate)
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
            assert isinstance(row.data, CompanyMonthCreate)
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
    render: Callable[..., Response],
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
