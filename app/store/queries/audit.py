"""The audit trail: appended in the same transaction as the change it records, never updated."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.store.models import AuditAction, AuditEntry, utcnow


def _jsonable(value: Any) -> Any:
    """Exact, readable JSON for a before/after snapshot: decimals as strings, dates as ISO text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def snapshot(row: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The named attributes of a row as JSON-ready values (for `before` / `after`)."""
    return {name: _jsonable(getattr(row, name)) for name in fields}


def record_audit(
    *,
    session: Session,
    actor: Actor,
    action: AuditAction,
    entity: str,
    entity_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    company_id: int | None = None,
    site_id: int | None = None,
    period: dt.date | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utcnow(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        entity=entity,
        entity_id=entity_id,
        company_id=company_id,
        site_id=site_id,
        period=period,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
        request_id=request_id,
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit_entries(
    *,
    session: Session,
    company_id: int | None = None,
    site_id: int | None = None,
    period: dt.date | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    limit: int = 500,
) -> Sequence[AuditEntry]:
    """Newest first."""
    stmt = select(AuditEntry)
    if company_id is not None:
        stmt = stmt.where(AuditEntry.company_id == company_id)
    if site_id is not None:
        stmt = stmt.where(AuditEntry.site_id == site_id)
    if period is not None:
        stmt = stmt.where(AuditEntry.period == period)
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)).all()
