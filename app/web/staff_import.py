"""Staff CSV import (upload, dry run, confirm) and the staff CSV export it round-trips with.

Routes (editors and admins):

    GET   /staff/import                              choose a company
    GET   /staff/companies/{slug}/import             the upload form and the format
    POST  /staff/companies/{slug}/import             upload -> dry run (nothing is written)
    POST  /staff/companies/{slug}/import/confirm     apply every row, in one transaction, or none
    GET   /staff/companies/{slug}/export.csv         every stored month, drafts included, in the import format

Between dry run and confirm the file travels back in the confirm form (base64 in a hidden field) with an
HMAC signature over the user, the company, the file's SHA-256 and the dry run's digest. Why not a table:
no migration, nothing to clean up, and any worker can confirm. The signature makes sure the confirmed file
is the one this user dry-ran for this company; the digest, recomputed at confirm, tells whether the stored
figures changed meanwhile, in which case the editor sees the new dry run instead of a blind write.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.domain.reports import add_months
from app.http.auth import EditorUser, actor_for_user
from app.http.deps import CompanyOr404, SessionDep
from app.http.templating import templates
from app.schemas.csv_months import (
    COMPANY_FIELDS,
    MAX_IMPORT_BYTES,
    SITE_FIELDS,
    ParsedCsv,
    export_columns,
    parse_csv,
    write_csv,
)
from app.schemas.csv_template import LAYOUTS, accepted_metrics, template_csv
from app.settings import get_settings
from app.store import queries
from app.store.models import Company, User
from app.store.queries import imports as import_queries
from app.store.queries import months as month_queries
from app.web.forms import text_fields
from app.web.import_progress import STREAM_FROM_ROWS, ApplyRequest, WriterFactory, WriterFactoryDep, stream_apply

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}
# Multipart framing and the other fields around the file.
_OVERHEAD = 64 * 1024
# The confirm form carries the file as base64 (4/3 of its size).
_CONFIRM_LIMIT = MAX_IMPORT_BYTES * 4 // 3 + _OVERHEAD


def _signature(user: User, company: Company, content: bytes, digest: str) -> str:
    message = f"import|{user.id}|{company.id}|{hashlib.sha256(content).hexdigest()}|{digest}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def _too_large(request: Request, limit: int) -> bool:
    """True unless the request declares a length within the limit (browsers always send one for forms).

    A body without Content-Length (chunked) is refused too: the form parser would spool all of it to disk.
    """
    length = request.headers.get("content-length")
    try:
        return length is None or int(length) > limit
    except ValueError:
        return True


def _page(request: Request, company: Company, session: Session, status_code: int = 200, **context: Any) -> Response:
    base = {
        "company": company,
        "sites": queries.list_sites(company.id, session=session),
        "accepted": accepted_metrics(),
        "active_nav": "import",
        "max_mb": MAX_IMPORT_BYTES // (1024 * 1024),
        "columns": export_columns(),
        "plan": None,
        "file_errors": [],
        "message": None,
    }
    return templates.TemplateResponse(
        request, "staff/months/import.html", {**base, **context}, status_code=status_code, headers=NO_STORE
    )


@router.get("/staff/import", response_class=HTMLResponse, name="staff:import_home")
def import_home(request: Request, user: EditorUser, session: SessionDep) -> Response:
    companies = queries.list_companies(session=session)
    if len(companies) == 1:
        return RedirectResponse(f"/staff/companies/{companies[0].slug}/import", status_code=303)
    return templates.TemplateResponse(
        request,
        "staff/months/import_home.html",
        {"companies": companies, "active_nav": "import"},
        headers=NO_STORE,
    )


@router.get("/staff/companies/{slug}/import", response_class=HTMLResponse, name="staff:import")
def import_form(request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    return _page(request, company, session)


@router.get("/staff/companies/{slug}/import/template.csv", name="staff:import_template")
def import_template(request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    """An empty import file for this company's sites and metrics (`?layout=long`: one figure per line)."""
    layout = request.query_params.get("layout", "wide")
    layout = layout if layout in LAYOUTS else "wide"
    slugs = [s.slug for s in queries.list_sites(company.id, session=session)]
    period = add_months(month_queries.current_month(), -1)
    return Response(
        template_csv(period, slugs, layout),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{company.slug}-import-template-{layout}.csv"',
            **NO_STORE,
        },
    )


def _dry_run(
    request: Request,
    company: Company,
    user: User,
    session: Session,
    content: bytes,
    filename: str,
    *,
    status_code: int = 200,
    message: str | None = None,
    publish: bool = False,
    reason: str = "",
    reason_error: str | None = None,
) -> Response:
    parsed: ParsedCsv = parse_csv(content)
    if parsed.errors:
        return _page(
            request, company, session, 422, file_errors=parsed.errors, filename=filename, ignored=parsed.ignored
        )
    plan = import_queries.plan_import(session=session, company=company, parsed=parsed)
    digest = plan.digest()
    return _page(
        request,
        company,
        session,
        status_code if not plan.has_errors else 422,
        plan=plan,
        layout=parsed.layout,
        filename=filename,
        content_b64=base64.b64encode(content).decode(),
        digest=digest,
        signature=_signature(user, company, content, digest),
        message=message,
        publish=publish,
        reason=reason,
        reason_error=reason_error,
    )


@router.post("/staff/companies/{slug}/import", response_class=HTMLResponse)
async def import_upload(request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    # Rendering, parsing and planning are synchronous (templates from disk, the database): off the event loop.
    if _too_large(request, MAX_IMPORT_BYTES + _OVERHEAD):
        return await run_in_threadpool(_page, request, company, session, 413, file_errors=[_size_message()])
    form = await request.form(max_files=1, max_fields=10, max_part_size=_OVERHEAD)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await run_in_threadpool(
            _page, request, company, session, 422, file_errors=["Choose a CSV file to upload."]
        )
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return await run_in_threadpool(_page, request, company, session, 413, file_errors=[_size_message()])
    filename = upload.filename[:200]
    return await run_in_threadpool(_dry_run, request, company, user, session, content, filename)


def _size_message() -> str:
    return f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB: split it into several files."


@router.post("/staff/companies/{slug}/import/confirm", response_class=HTMLResponse)
async def import_confirm(
    request: Request, company: CompanyOr404, user: EditorUser, session: SessionDep, writer: WriterFactoryDep
) -> Response:
    if _too_large(request, _CONFIRM_LIMIT):
        return await run_in_threadpool(_page, request, company, session, 413, file_errors=[_size_message()])
    form = await request.form(max_files=0, max_fields=20, max_part_size=_CONFIRM_LIMIT)
    fields = text_fields(form)
    return await run_in_threadpool(_confirm, request, company, user, session, fields, writer)


def _confirm(
    request: Request, company: Company, user: User, session: Session, fields: dict[str, str], writer: WriterFactory
) -> Response:
    try:
        content = base64.b64decode(fields.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    digest = fields.get("digest", "")
    filename = fields.get("filename", "")[:200]
    if not content or not hmac.compare_digest(_signature(user, company, content, digest), fields.get("signature", "")):
        return _page(
            request, company, session, 400, file_errors=["This confirmation does not match a dry run: upload again."]
        )
    publish = fields.get("publish") == "on"
    reason = fields.get("reason", "").strip()
    parsed = parse_csv(content)
    plan = import_queries.plan_import(session=session, company=company, parsed=parsed) if not parsed.errors else None
    again: dict[str, Any] = {"publish": publish, "reason": reason}
    if plan is None or plan.digest() != digest:
        message = "The stored figures changed since your dry run. Review the new dry run and confirm again."
        return _dry_run(request, company, user, session, content, filename, status_code=409, message=message, **again)
    if plan.needs_reason and not reason:
        changed = plan.published_changes
        removed = sum(1 for _, c in changed if c.removal)
        reason_error = (
            f"{len(changed)} published figure(s) change{f', {removed} removed' if removed else ''}:"
            " say why (investors see the reason with the correction)"
        )
        return _dry_run(
            request, company, user, session, content, filename, status_code=422, reason_error=reason_error, **again
        )
    if plan.warnings and fields.get("confirm_warnings") != "on":
        message = "Confirm that you checked the warnings below."
        return _dry_run(request, company, user, session, content, filename, status_code=422, message=message, **again)
    if len(import_queries.rows_to_write(plan, publish=publish)) >= STREAM_FROM_ROWS:
        job = ApplyRequest(company.id, content, digest, publish, reason or None, actor_for_user(user))
        return stream_apply(request, company, job, writer)
    try:
        with session.begin_nested():
            counts = import_queries.apply_import(
                session=session,
                company=company,
                plan=plan,
                actor=actor_for_user(user),
                publish=publish,
                reason=reason or None,
            )
    except month_queries.ReasonRequired as exc:
        return _dry_run(
            request, company, user, session, content, filename, status_code=422, reason_error=str(exc), **again
        )
    except month_queries.VersionConflict:
        message = "Someone saved some of these months meanwhile: nothing was imported. Review the new dry run."
        return _dry_run(request, company, user, session, content, filename, status_code=409, message=message, **again)
    except month_queries.MonthValidationError as exc:
        message = "Nothing was imported: " + str(exc)
        return _dry_run(request, company, user, session, content, filename, status_code=422, message=message, **again)
    done = f"{counts['created']}-{counts['updated']}-{counts['published']}"
    return RedirectResponse(f"/staff/companies/{company.slug}/months?imported={done}", status_code=303)


@router.get("/staff/companies/{slug}/export.csv", name="staff:export_csv")
def export_csv(company: CompanyOr404, user: EditorUser, session: SessionDep) -> Response:
    """Every stored month (drafts included) in the import format: edit it in a spreadsheet, import it back."""
    sites = {s.id: s.slug for s in queries.list_sites(company.id, session=session)}
    rows: list[dict[str, Any]] = []
    for crow in queries.list_company_months(company.id, session=session, published_only=False):
        rows.append({"period": crow.period, "site": None, **_fields(crow, COMPANY_FIELDS)})
    for srow in queries.list_site_months(company.id, session=session, published_only=False):
        rows.append({"period": srow.period, "site": sites[srow.site_id], **_fields(srow, SITE_FIELDS)})
    rows.sort(key=lambda r: (r["period"], r["site"] or ""))
    return Response(
        write_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{company.slug}-monthly-staff.csv"',
            **NO_STORE,
        },
    )


def _fields(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in (*names, "note", "source_url", "is_estimate")}
