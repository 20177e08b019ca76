"""Writing monthly figures: the one path every door (staff forms, CSV import, API) goes through.

Rules, in the order a save applies them:

* Validation: the pydantic schema (`app.schemas.months`) checks each row; here the rules that need
  context: the month must not be in the future and the site must belong to the company
  (`MonthValidationError`, with every problem listed).
* Optimistic locking: `expected_version` must equal the stored row's version; `None` means "create",
  so an existing row is a conflict too (`VersionConflict`, carrying the stored row). The stored row is
  read `FOR UPDATE`, so two concurrent saves of the same version cannot both pass on Postgres.
* A published row keeps its status when corrected (investors see the correction at once) but changes
  only with a reason (`ReasonRequired`); it then gets `revised_at` / `revision_reason`. Re-publishing a
  row that was published before, then withdrawn, is a correction too and needs a reason.
* Every change writes an audit entry (before/after snapshots) in the same transaction, bumps `version`,
  sets `updated_by`, and bumps the data revision when published data changed.
* A save that changes nothing writes nothing (no version bump, no audit entry).
* Every published value of each figure is kept (`app.store.queries.figure_history`): a correction adds an
  entry only for the figures it changed, so only those show "revised".

Nothing here commits: the request's transaction does, so a month's rows are saved all or none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain import formulas
from app.domain.actors import Actor, public_role, request_id_var
from app.domain.reports import add_months
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.schemas.text import text_problem
from app.store.models import AuditAction, Company, CompanyMonth, RecordStatus, Site, SiteMonth, utcnow
from app.store.queries import bump_data_revision
from app.store.queries.audit import record_audit, snapshot
from app.store.queries.figure_history import record_published, withdraw_figures
from app.store.queries.month_checks import REASON_MAX as REASON_MAX
from app.store.queries.month_checks import MonthValidationError as MonthValidationError
from app.store.queries.month_checks import ReasonRequired as ReasonRequired
from app.store.queries.month_checks import TreasuryCheck as TreasuryCheck
from app.store.queries.month_checks import VersionConflict as VersionConflict
from app.store.queries.month_checks import check_period as check_period
from app.store.queries.month_checks import check_site_life as check_site_life
from app.store.queries.month_checks import current_month as current_month
from app.store.queries.month_checks import is_correction as is_correction

PROVENANCE_FIELDS = ("note", "source_url", "is_estimate")
LIFE_FIELDS = ("status", "version", "published_at", "revised_at", "revision_reason", "updated_by")
SITE_FIELDS: tuple[str, ...] = (*SiteMonthCreate.metric_names(), *PROVENANCE_FIELDS)
COMPANY_FIELDS: tuple[str, ...] = (*CompanyMonthCreate.metric_names(), *PROVENANCE_FIELDS)


def get_site_month(site: Site, period: dt.date, *, session: Session, for_update: bool = False) -> SiteMonth | None:
    stmt = select(SiteMonth).where(SiteMonth.site_id == site.id, SiteMonth.period == period)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def get_company_month(
    company: Company, period: dt.date, *, session: Session, for_update: bool = False
) -> CompanyMonth | None:
    stmt = select(CompanyMonth).where(CompanyMonth.company_id == company.id, CompanyMonth.period == period)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def list_month_rows(
    company: Company, period: dt.date, *, session: Session
) -> tuple[CompanyMonth | None, list[SiteMonth]]:
    """The stored company row and site rows of one month, drafts included."""
    site_rows = session.scalars(
        select(SiteMonth)
        .join(Site, Site.id == SiteMonth.site_id)
        .where(Site.company_id == company.id, SiteMonth.period == period)
        .order_by(SiteMonth.site_id)
    ).all()
    return get_company_month(company, period, session=session), list(site_rows)


def clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise MonthValidationError([{"path": "reason", "message": f"at most {REASON_MAX} characters"}])
    if (problem := text_problem(reason, label="The reason", multiline=True)) is not None:
        raise MonthValidationError([{"path": "reason", "message": problem}])
    return reason or None


def _apply(
    *,
    session: Session,
    row: SiteMonth | CompanyMonth | None,
    new_row: SiteMonth | CompanyMonth,
    fields: Sequence[str],
    values: dict[str, Any],
    expected_version: int | None,
    publish: bool,
    reason: str | None,
    actor: Actor,
    audit_keys: dict[str, Any],
) -> SiteMonth | CompanyMonth:
    """The shared save: version check, reason rule, write, audit, revision bump."""
    entity = new_row.__tablename__
    reason = clean_reason(reason)
    now = utcnow()
    if row is None:
        if expected_version is not None:
            raise VersionConflict(None, expected_version)
        for name in fields:
            setattr(new_row, name, values[name])
        new_row.version = 1
        new_row.updated_by = actor.label
        new_row.status = RecordStatus.published if publish else RecordStatus.draft
        new_row.published_at = now if publish else None
        try:
            with session.begin_nested():
                session.add(new_row)
                session.flush()
        except IntegrityError:
            # Another request created the same month between our read and our insert.
            current = session.scalar(
                select(new_row.__class__).where(*_identity(new_row)).execution_options(populate_existing=True)
            )
            assert current is None or isinstance(current, SiteMonth | CompanyMonth)
            raise VersionConflict(current, expected_version) from None
        record_audit(
            session=session,
            actor=actor,
            action=AuditAction.create,
            entity=entity,
            entity_id=new_row.id,
            after=snapshot(new_row, (*fields, *LIFE_FIELDS)),
            reason=reason,
            **audit_keys,
        )
        if publish:
            record_audit(
                session=session,
                actor=actor,
                action=AuditAction.publish,
                entity=entity,
                entity_id=new_row.id,
                after={"status": "published"},
                reason=reason,
                **audit_keys,
            )
            record_published(session=session, rows=[new_row], role=public_role(actor), reason=reason, now=now)
            bump_data_revision(session=session, companies=[audit_keys.get("company_id")])
        return new_row

    if expected_version is None or row.version != expected_version:
        raise VersionConflict(row, expected_version)
    changed = [name for name in fields if getattr(row, name) != values[name]]
    was_published = row.status == RecordStatus.published
    publishing = publish and not was_published
    if not changed and not publishing:
        return row
    correction = is_correction(row, changed=bool(changed), publish=publish)
    if correction and not reason:
        raise ReasonRequired(
            "This month is published: say why it changes (the reason is shown to investors with the correction)"
        )
    before = snapshot(row, (*fields, *LIFE_FIELDS))
    for name in changed:
        setattr(row, name, values[name])
    stale_sources = {k: v for k, v in (row.figure_sources or {}).items() if k in changed}
    if stale_sources:
        # A per-figure source quoted the old value; the row's own source now speaks for the new one.
        before["figure_sources"] = dict(row.figure_sources)
        row.figure_sources = {k: v for k, v in row.figure_sources.items() if k not in stale_sources}
        changed.append("figure_sources")
    row.version += 1
    row.updated_by = actor.label
    if correction:
        row.revised_at = now
        row.revision_reason = reason
    if publishing:
        row.status = RecordStatus.published
        row.published_at = row.published_at or now
    session.flush()
    after = snapshot(row, (*fields, *LIFE_FIELDS, *(("figure_sources",) if stale_sources else ())))
    if changed:
        record_audit(
            session=session,
            actor=actor,
            action=AuditAction.update,
            entity=entity,
            entity_id=row.id,
            before={k: before[k] for k in (*changed, *LIFE_FIELDS)},
            after={k: after[k] for k in (*changed, *LIFE_FIELDS)},
            reason=reason,
            **audit_keys,
        )
    if publishing:
        record_audit(
            session=session,
            actor=actor,
            action=AuditAction.publish,
            entity=entity,
            entity_id=row.id,
            before={"status": "draft"},
            after={"status": "published"},
            reason=reason,
            **audit_keys,
        )
    if was_published or publishing:
        # Only the figures whose value or source changed get a new published value (and show "revised").
        record_published(session=session, rows=[row], role=public_role(actor), reason=reason, now=now)
        bump_data_revision(session=session, companies=[audit_keys.get("company_id")])
    return row


def current_request_id() -> str | None:
    # The HTTP request behind the change, so an audit entry can be matched with the access log.
    value = request_id_var.get()
    return None if value in ("", "-") else value[:64]


def _identity(row: SiteMonth | CompanyMonth) -> tuple[Any, ...]:
    if isinstance(row, SiteMonth):
        return (SiteMonth.site_id == row.site_id, SiteMonth.period == row.period)
    return (CompanyMonth.company_id == row.company_id, CompanyMonth.period == row.period)


def _values(data: SiteMonthCreate | CompanyMonthCreate, fields: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in fields}


def save_site_month(
    *,
    session: Session,
    site: Site,
    period: dt.date,
    data: SiteMonthCreate,
    actor: Actor,
    expected_version: int | None,
    publish: bool = False,
    reason: str | None = None,
    company: Company | None = None,
) -> SiteMonth:
    """Create or replace one site's figures for a month (every field of `data`; None = missing).

    `company`, when given, must own the site (the check for callers that resolved the site elsewhere).
    """
    errors = check_period(period) or check_site_life(site, period)
    if company is not None and site.company_id != company.id:
        errors.append({"path": "site", "message": f"site {site.slug!r} does not belong to {company.slug!r}"})
    if errors:
        raise MonthValidationError(errors)
    row = get_site_month(site, period, session=session, for_update=True)
    saved = _apply(
        session=session,
        row=row,
        new_row=SiteMonth(site_id=site.id, period=period),
        fields=SITE_FIELDS,
        values=_values(data, SITE_FIELDS),
        expected_version=expected_version,
        publish=publish,
        reason=reason,
        actor=actor,
        audit_keys={
            "company_id": site.company_id,
            "site_id": site.id,
            "period": period,
            "request_id": current_request_id(),
        },
    )
    assert isinstance(saved, SiteMonth)
    return saved


def save_company_month(
    *,
    session: Session,
    company: Company,
    period: dt.date,
    data: CompanyMonthCreate,
    actor: Actor,
    expected_version: int | None,
    publish: bool = False,
    reason: str | None = None,
) -> CompanyMonth:
    """Create or replace the company-level figures of a month (every field of `data`; None = missing)."""
    errors = check_period(period)
    if errors:
        raise MonthValidationError(errors)
    row = get_company_month(company, period, session=session, for_update=True)
    saved = _apply(
        session=session,
        row=row,
        new_row=CompanyMonth(company_id=company.id, period=period),
        fields=COMPANY_FIELDS,
        values=_values(data, COMPANY_FIELDS),
        expected_version=expected_version,
        publish=publish,
        reason=reason,
        actor=actor,
        audit_keys={"company_id": company.id, "site_id": None, "period": period, "request_id": current_request_id()},
    )
    assert isinstance(saved, CompanyMonth)
    return saved


def delete_site_month(
    *,
    session: Session,
    site: Site,
    period: dt.date,
    actor: Actor,
    expected_version: int,
    reason: str | None = None,
) -> None:
    """Remove one site's row of a month (entered by mistake); a published row needs a reason."""
    row = get_site_month(site, period, session=session, for_update=True)
    if row is None or row.version != expected_version:
        raise VersionConflict(row, expected_version)
    reason = clean_reason(reason)
    was_published = row.status == RecordStatus.published
    if was_published and not reason:
        raise ReasonRequired("This month is published: say why the site's figures are removed")
    before = snapshot(row, (*SITE_FIELDS, *LIFE_FIELDS))
    entity_id = row.id
    if was_published:
        withdraw_figures(session=session, rows=[row])
    session.delete(row)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.delete,
        entity="site_month",
        entity_id=entity_id,
        before=before,
        reason=reason,
        company_id=site.company_id,
        site_id=site.id,
        period=period,
        request_id=current_request_id(),
    )
    if was_published:
        bump_data_revision(session=session, companies=[site.company_id])


def treasury_warning(
    *, session: Session, company: Company, period: dt.date, data: CompanyMonthCreate
) -> TreasuryCheck | None:
    """The roll-forward mismatch to show the editor, or None when it reconciles or a term is unknown.

    The previous month is the stored row whatever its status: editors enter months in order, as drafts.
    """
    if data.btc_held_end is None or data.btc_mined_total is None or data.btc_sold is None:
        return None
    previous = get_company_month(company, add_months(period, -1), session=session)
    if previous is None or previous.btc_held_end is None:
        return None
    residual = formulas.treasury_residual(data.btc_held_end, previous.btc_held_end, data.btc_mined_total, data.btc_sold)
    if residual is None or residual == 0:
        return None
    return TreasuryCheck(
        previous_held_end=previous.btc_held_end,
        mined=data.btc_mined_total,
        sold=data.btc_sold,
        expected_held_end=previous.btc_held_end + data.btc_mined_total - data.btc_sold,
        held_end=data.btc_held_end,
    )
