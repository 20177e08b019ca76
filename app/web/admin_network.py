"""Admin pages for the network and market reference: the months, a month's form, CSV import with a dry run.

Routes (admins):

    GET        /staff/admin/network                   the months, newest first; the import form
    GET, POST  /staff/admin/network/new               add a month
    GET, POST  /staff/admin/network/{YYYY-MM}         a month's figures and sources (version checked)
    POST       /staff/admin/network/import            upload -> dry run (nothing is written)
    POST       /staff/admin/network/import/confirm    apply every row in one transaction, or none
    GET        /staff/admin/network/export.csv        every month in the import format

The dry run travels to the confirmation as in the company import (app.web.staff_import): the file in the form,
signed with the user and the dry run's digest, so any worker can confirm and a change in between is seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.domain.metrics import NETWORK_METRICS
from app.domain.network_sources import format_sources, parse_sources
from app.http.auth import AdminUser, actor_for_user
from app.http.deps import SessionDep
from app.http.templating import templates
from app.schemas import format_period, parse_period
from app.schemas.csv_months import MAX_IMPORT_BYTES
from app.schemas.network import NetworkMonthCreate, parse_network_csv, write_network_csv
from app.settings import get_settings
from app.store import queries
from app.store.models import NetworkMonth, User
from app.store.queries import network as network_queries
from app.store.queries.month_checks import MonthValidationError
from app.web.admin_companies import _form_value
from app.web.forms import FormFields, parse_form

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
_OVERHEAD = 64 * 1024
NOTICES = {"saved": "Saved.", "created": "Added.", "unchanged": "Nothing changed."}


def _sources_text(row: NetworkMonth | None) -> str:
    if row is None:
        return ""
    keys = {n: str(e["source"]) for n, e in (row.figure_sources or {}).items() if e.get("source")}
    return format_sources(keys)


def _list_page(request: Request, session: Session, status: int = 200, **context: Any) -> Response:
    months = list(reversed(queries.list_network_months(session=session)))
    base = {
        "active_nav": "admin",
        "months": months,
        "metrics": NETWORK_METRICS,
        "sources_text": _sources_text,
        "plain": _form_value,
        "plan": None,
        "file_errors": [],
        "message": None,
        "notice": NOTICES.get(request.query_params.get("done") or ""),
        "imported": request.query_params.get("imported"),
        "max_mb": MAX_IMPORT_BYTES // (1024 * 1024),
    }
    return templates.TemplateResponse(
        request, "staff/admin/network.html", {**base, **context}, status_code=status, headers=NO_STORE
    )


@router.get("/staff/admin/network", response_class=HTMLResponse, name="admin:network")
def network_list(request: Request, user: AdminUser, session: SessionDep) -> Response:
    return _list_page(request, session)


def _form(
    request: Request,
    *,
    row: NetworkMonth | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    message: str | None = None,
) -> Response:
    context = {
        "active_nav": "admin",
        "row": row,
        "values": values,
        "errors": errors,
        "metrics": NETWORK_METRICS,
        "message": message,
        "notice": NOTICES.get(request.query_params.get("done") or "") if status == 200 else None,
    }
    return templates.TemplateResponse(
        request, "staff/admin/network_form.html", context, status_code=status, headers=NO_STORE
    )


def _values_of(row: NetworkMonth) -> dict[str, str]:
    values = {name: _form_value(getattr(row, name)) for name in (*NETWORK_METRICS, "source_url", "note")}
    values["is_estimate"] = "on" if row.is_estimate else ""
    values["version"] = str(row.version)
    values["period"] = format_period(row.period)
    values["sources"] = values["sources_before"] = _sources_text(row)
    return values


def _save(request: Request, user: User, session: Session, form: dict[str, str], row: NetworkMonth | None) -> Response:
    errors: dict[str, str] = {}
    try:
        period = parse_period(form.get("period", "")) if row is None else row.period
    except ValueError as exc:
        period, errors["period"] = None, str(exc)
    cleaned = {name: (form.get(name) or "").strip() or None for name in (*NETWORK_METRICS, "source_url", "note")}
    data, field_errors = parse_form(NetworkMonthCreate, {**cleaned, "is_estimate": form.get("is_estimate") == "on"})
    errors.update(field_errors)
    sources: dict[str, str] | None = None
    if (form.get("sources") or "").strip() != (form.get("sources_before") or "").strip():
        sources, problems = parse_sources(form.get("sources") or "")
        if problems:
            errors["sources"] = "; ".join(problems)
    if data is None or period is None or errors:
        return _form(request, row=row, values=form, errors=errors, status=422)
    expected = int(form["version"]) if row is not None and (form.get("version") or "").isdigit() else None
    try:
        saved, changed = network_queries.save_network_month(
            session=session,
            period=period,
            data=data,
            actor=actor_for_user(user),
            expected_version=expected,
            sources=sources,
        )
    except network_queries.NetworkVersionConflict as exc:
        current = exc.current
        message = "Someone saved this month meanwhile: nothing was saved. Their figures are below; apply yours again."
        if current is None:
            message = "This month was added meanwhile." if row is None else "This month no longer exists."
        values = _values_of(current) if current is not None else form
        return _form(request, row=current, values=values, errors={}, status=409, message=message)
    except MonthValidationError as exc:
        return _form(request, row=row, values=form, errors={e["path"]: e["message"] for e in exc.errors}, status=422)
    done = "created" if row is None else ("saved" if changed else "unchanged")
    return RedirectResponse(f"/staff/admin/network/{format_period(saved.period)}?done={done}", status_code=303)


@router.get("/staff/admin/network/new", response_class=HTMLResponse, name="admin:network_new")
def network_new_form(request: Request, user: AdminUser) -> Response:
    return _form(request, row=None, values={}, errors={})


@router.post("/staff/admin/network/new", response_class=HTMLResponse)
def network_new(request: Request, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    return _save(request, user, session, form, None)


def _month_or_404(period: str, session: Session) -> NetworkMonth:
    try:
        month = parse_period(period)
    except ValueError:
        raise HTTPException(status_code=404, detail="No such month.") from None
    row = network_queries.get_network_month(month, session=session)
    if row is None:
        raise HTTPException(status_code=404, detail=f"No network figures for {period}.")
    return row


@router.get("/staff/admin/network/export.csv", name="admin:network_export")
def network_export(user: AdminUser, session: SessionDep) -> Response:
    rows = [
        {
            "period": r.period,
            **{n: getattr(r, n) for n in NETWORK_METRICS},
            "sources": _sources_text(r),
            "source_url": r.source_url,
            "note": r.note,
            "is_estimate": r.is_estimate,
        }
        for r in queries.list_network_months(session=session)
    ]
    headers = {"Content-Disposition": 'attachment; filename="network-monthly.csv"', **NO_STORE}
    return Response(write_network_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


# --- CSV import --------------------------------------------------------------------------------------------------


def _signature(user: User, content: bytes, digest: str) -> str:
    message = f"network-import|{user.id}|{hashlib.sha256(content).hexdigest()}|{digest}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def _dry_run(
    request: Request, user: User, session: Session, content: bytes, filename: str, status: int = 200, **extra: Any
) -> Response:
    parsed = parse_network_csv(content)
    if parsed.errors:
        return _list_page(request, session, 422, file_errors=parsed.errors, filename=filename)
    plan = network_queries.plan_network_import(session=session, parsed=parsed)
    digest = plan.digest()
    return _list_page(
        request,
        session,
        422 if plan.has_errors else status,
        plan=plan,
        filename=filename,
        content_b64=base64.b64encode(content).decode(),
        digest=digest,
        signature=_signature(user, content, digest),
        **extra,
    )


def _too_large(request: Request, limit: int) -> bool:
    length = request.headers.get("content-length")
    try:
        return length is None or int(length) > limit
    except ValueError:
        return True


@router.post("/staff/admin/network/import", response_class=HTMLResponse)
async def network_import(request: Request, user: AdminUser, session: SessionDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    size_error = [f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB."]
    if _too_large(request, MAX_IMPORT_BYTES + _OVERHEAD):
        return await run_in_threadpool(_list_page, request, session, 413, file_errors=size_error)
    form = await request.form(max_files=1, max_fields=10, max_part_size=_OVERHEAD)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await run_in_threadpool(_list_page, request, session, 422, file_errors=["Choose a CSV file to upload."])
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return await run_in_threadpool(_list_page, request, session, 413, file_errors=size_error)
    return await run_in_threadpool(_dry_run, request, user, session, content, upload.filename[:200])


@router.post("/staff/admin/network/import/confirm", response_class=HTMLResponse)
async def network_import_confirm(request: Request, user: AdminUser, session: SessionDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    limit = MAX_IMPORT_BYTES * 4 // 3 + _OVERHEAD
    if _too_large(request, limit):
        return await run_in_threadpool(_list_page, request, session, 413, file_errors=["The file is too large."])
    form = await request.form(max_files=0, max_fields=10, max_part_size=limit)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_confirm, request, user, session, fields)


def _confirm(request: Request, user: User, session: Session, fields: dict[str, str]) -> Response:
    try:
        content = base64.b64decode(fields.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    digest, filename = fields.get("digest", ""), fields.get("filename", "")[:200]
    if not content or not hmac.compare_digest(_signature(user, content, digest), fields.get("signature", "")):
        problem = ["This confirmation does not match a dry run: upload again."]
        return _list_page(request, session, 400, file_errors=problem)
    parsed = parse_network_csv(content)
    plan = network_queries.plan_network_import(session=session, parsed=parsed) if not parsed.errors else None
    if plan is None or plan.digest() != digest:
        message = "The stored figures changed since your dry run. Review the new dry run and confirm again."
        return _dry_run(request, user, session, content, filename, 409, message=message)
    try:
        with session.begin_nested():
            counts = network_queries.apply_network_import(session=session, plan=plan, actor=actor_for_user(user))
    except network_queries.NetworkVersionConflict:
        message = "Someone saved some of these months meanwhile: nothing was imported. Review the new dry run."
        return _dry_run(request, user, session, content, filename, 409, message=message)
    except MonthValidationError as exc:
        return _dry_run(request, user, session, content, filename, 422, message=f"Nothing was imported: {exc}")
    done = f"{counts['created']}-{counts['updated']}"
    return RedirectResponse(f"/staff/admin/network?imported={done}", status_code=303)


# The month's own address last: /import and /export.csv are not months.
@router.get("/staff/admin/network/{period}", response_class=HTMLResponse, name="admin:network_month")
def network_month_form(request: Request, period: str, user: AdminUser, session: SessionDep) -> Response:
    row = _month_or_404(period, session)
    return _form(request, row=row, values=_values_of(row), errors={})


@router.post("/staff/admin/network/{period}", response_class=HTMLResponse)
def network_month(request: Request, period: str, user: AdminUser, session: SessionDep, form: FormFields) -> Response:
    return _save(request, user, session, form, _month_or_404(period, session))
