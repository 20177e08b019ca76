"""Publishing a month (every draft row at once) and withdrawing it; both audited, both bump the data revision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor, public_role
from app.store.models import AuditAction, Company, CompanyMonth, RecordStatus, Site, SiteMonth, utcnow
from app.store.queries import bump_data_revision
from app.store.queries.audit import record_audit, snapshot
from app.store.queries.figure_history import record_published, withdraw_figures
from app.store.queries.month_checks import MonthValidationError, ReasonRequired, check_period
from app.store.queries.months import LIFE_FIELDS, clean_reason, current_request_id, get_company_month


def publish_month(
    *, session: Session, company: Company, period: dt.date, actor: Actor, reason: str | None = None
) -> list[SiteMonth | CompanyMonth]:
    """Publish every draft row of the month (company and sites); returns the rows it published.

    A row published before and withdrawn since needs a reason (it becomes a correction).
    """
    errors = check_period(period)
    if errors:
        raise MonthValidationError(errors)
    reason = clean_reason(reason)
    company_row, site_rows = _rows_for_update(session, company, period)
    drafts = [r for r in (company_row, *site_rows) if r is not None and r.status == RecordStatus.draft]
    if not drafts:
        raise MonthValidationError([{"path": "period", "message": "nothing to publish: no draft figures"}])
    if any(r.published_at is not None for r in drafts) and not reason:
        raise ReasonRequired("Part of this month was published before: say why it is published again")
    now = utcnow()
    for row in drafts:
        republished = row.published_at is not None
        row.status = RecordStatus.published
        row.published_at = row.published_at or now
        if republished:
            row.revised_at = now
            row.revision_reason = reason
        row.version += 1
        row.updated_by = actor.label
    session.flush()
    record_published(session=session, rows=drafts, role=public_role(actor), reason=reason, now=now)
    for row in drafts:
        _audit_status(session, actor, row, AuditAction.publish, company, reason)
    bump_data_revision(session=session, companies=[company.id])
    return drafts


def unpublish_month(
    *, session: Session, company: Company, period: dt.date, actor: Actor, reason: str | None = None
) -> list[SiteMonth | CompanyMonth]:
    """Withdraw the month's published rows back to draft; a reason is required (investors lose figures)."""
    reason = clean_reason(reason)
    if not reason:
        raise ReasonRequired("Say why this month is withdrawn from investors")
    company_row, site_rows = _rows_for_update(session, company, period)
    published = [r for r in (company_row, *site_rows) if r is not None and r.status == RecordStatus.published]
    if not published:
        raise MonthValidationError([{"path": "period", "message": "nothing to unpublish: the month is not published"}])
    for row in published:
        row.status = RecordStatus.draft
        row.version += 1
        row.updated_by = actor.label
    session.flush()
    withdraw_figures(session=session, rows=published)
    for row in published:
        _audit_status(session, actor, row, AuditAction.unpublish, company, reason)
    bump_data_revision(session=session, companies=[company.id])
    return published


def _rows_for_update(
    session: Session, company: Company, period: dt.date
) -> tuple[CompanyMonth | None, list[SiteMonth]]:
    company_row = get_company_month(company, period, session=session, for_update=True)
    site_rows = session.scalars(
        select(SiteMonth)
        .where(
            SiteMonth.period == period,
            SiteMonth.site_id.in_(select(Site.id).where(Site.company_id == company.id)),
        )
        .order_by(SiteMonth.site_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return company_row, list(site_rows)


def _audit_status(
    session: Session,
    actor: Actor,
    row: SiteMonth | CompanyMonth,
    action: AuditAction,
    company: Company,
    reason: str | None,
) -> None:
    new, old = ("published", "draft") if action == AuditAction.publish else ("draft", "published")
    record_audit(
        session=session,
        actor=actor,
        action=action,
        entity=row.__tablename__,
        entity_id=row.id,
        before={"status": old},
        after={**snapshot(row, LIFE_FIELDS), "status": new},
        reason=reason,
        company_id=company.id,
        site_id=row.site_id if isinstance(row, SiteMonth) else None,
        period=row.period,
        request_id=current_request_id(),
    )
