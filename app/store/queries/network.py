"""Writing network reference months: the one path of the staff form, the CSV import, `minedash import-network`
and the API's PUT.

* Reference data has no draft state: a saved month is public at once. Every change bumps the data revision
  naming no company, which counts as a change to every company's pages.
* Optimistic locking as for company months: `expected_version` must equal the stored row's version, and None
  means "create" (`NetworkVersionConflict` otherwise).
* Each figure keeps its own provenance in `figure_sources` (which source, its link and licence). A figure
  whose value changes loses that entry unless the write names its new source, so an old attribution never
  speaks for a new number; the row's `source_url` then covers it.
* Every change writes an audit entry (before/after) in the same transaction; a save that changes nothing
  writes nothing. A gap stays a gap: an empty figure is stored as NULL, never as zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.domain.metrics import NETWORK_METRICS
from app.domain.network_sources import figure_source
from app.schemas.months import field_errors
from app.schemas.network import NetworkMonthCreate, ParsedNetworkCsv
from app.store.models import AuditAction, NetworkMonth
from app.store.queries import bump_data_revision
from app.store.queries.audit import record_audit, snapshot
from app.store.queries.month_checks import MonthValidationError, check_period

PROVENANCE = ("note", "source_url", "is_estimate")
FIELDS: tuple[str, ...] = (*NETWORK_METRICS, *PROVENANCE)
ENTITY = "network_month"


class NetworkVersionConflict(Exception):
    """Someone else saved this month first; `.current` is the stored row (None if there is none)."""

    def __init__(self, current: NetworkMonth | None, expected_version: int | None) -> None:
        self.current = current
        self.expected_version = expected_version
        stored = "no row" if current is None else f"version {current.version}"
        super().__init__(f"expected version {expected_version}, found {stored}")


def get_network_month(period: dt.date, *, session: Session, for_update: bool = False) -> NetworkMonth | None:
    stmt = select(NetworkMonth).where(NetworkMonth.period == period)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int) and not isinstance(a, bool):
        return Decimal(a) == Decimal(b)
    return bool(a == b)


def save_network_month(
    *,
    session: Session,
    period: dt.date,
    data: NetworkMonthCreate,
    actor: Actor,
    expected_version: int | None,
    fields: Sequence[str] = FIELDS,
    sources: dict[str, str] | None = None,
) -> tuple[NetworkMonth, bool]:
    """Create or update one month (only `fields`); returns the row and whether anything changed.

    `sources` maps a metric to the source keys that fed it (``CM``, ``RPC+CM``); see app.domain.network_sources.
    """
    problems = check_period(period)
    if problems:
        raise MonthValidationError(problems)
    row = get_network_month(period, session=session, for_update=True)
    values = {name: getattr(data, name) for name in fields}
    if row is None:
        if expected_version is not None:
            raise NetworkVersionConflict(None, expected_version)
        row = NetworkMonth(period=period, version=1, updated_by=actor.label, figure_sources={})
        for name, value in values.items():
            setattr(row, name, value)
        row.is_estimate = bool(row.is_estimate)
        row.figure_sources = _new_sources({}, values, set(values), sources)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise NetworkVersionConflict(get_network_month(period, session=session), expected_version) from None
        record_audit(
            session=session,
            actor=actor,
            action=AuditAction.create,
            entity=ENTITY,
            entity_id=row.id,
            after=snapshot(row, (*FIELDS, "figure_sources", "version")),
            period=period,
        )
        bump_data_revision(session=session)
        return row, True

    if expected_version is None or row.version != expected_version:
        raise NetworkVersionConflict(row, expected_version)
    changed = [name for name, value in values.items() if not _same(getattr(row, name), value)]
    new_sources = _new_sources(dict(row.figure_sources or {}), values, set(changed), sources)
    if new_sources != (row.figure_sources or {}):
        changed.append("figure_sources")
    if not changed:
        return row, False
    before = snapshot(row, (*changed, "version", "updated_by"))
    for name in changed:
        setattr(row, name, new_sources if name == "figure_sources" else values[name])
    row.version += 1
    row.updated_by = actor.label
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.update,
        entity=ENTITY,
        entity_id=row.id,
        before=before,
        after=snapshot(row, (*changed, "version", "updated_by")),
        period=period,
    )
    bump_data_revision(session=session)
    return row, True


def _new_sources(
    current: dict[str, Any], values: dict[str, Any], changed: set[str], sources: dict[str, str] | None
) -> dict[str, Any]:
    out = {k: v for k, v in current.items() if k not in changed}
    for name, keys in (sources or {}).items():
        value = values[name] if name in values else current.get(name)
        if name in NETWORK_METRICS and value is not None and keys:
            out[name] = figure_source(keys)
    # An entry for a figure that is now missing describes nothing.
    return {k: v for k, v in out.items() if k not in values or values[k] is not None}


# --- CSV import: dry run, then all rows or none -----------------------------------------------------------


@dataclass
class PlannedNetworkRow:
    line: int
    label: str
    period: dt.date | None
    status: str  # new, changed, unchanged, error
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    data: NetworkMonthCreate | None = None
    fields: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    expected_version: int | None = None


@dataclass
class NetworkImportPlan:
    rows: list[PlannedNetworkRow]
    ignored: list[str]

    @property
    def counts(self) -> dict[str, int]:
        out = {"new": 0, "changed": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            out[row.status] += 1
        return out

    @property
    def has_errors(self) -> bool:
        return any(r.status == "error" for r in self.rows)

    def digest(self) -> str:
        parts = [f"{r.line}:{r.status}:{r.expected_version}:{r.changes}" for r in self.rows]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def plan_network_import(*, session: Session, parsed: ParsedNetworkCsv) -> NetworkImportPlan:
    """Each row as new, changed (old -> new per field), unchanged or error; nothing is written."""
    periods = [r.period for r in parsed.rows if r.period is not None]
    stored: dict[dt.date, NetworkMonth] = {}
    if periods:
        stmt = select(NetworkMonth).where(NetworkMonth.period >= min(periods), NetworkMonth.period <= max(periods))
        stored = {r.period: r for r in session.scalars(stmt)}
    planned: list[PlannedNetworkRow] = []
    for r in parsed.rows:
        out = PlannedNetworkRow(line=r.line, label=r.period_text or "?", period=r.period, status="error")
        out.errors.extend(r.errors)
        if r.period is not None:
            out.errors.extend(e["message"] for e in check_period(r.period))
        current = stored.get(r.period) if r.period is not None else None
        given: dict[str, Any] = {**r.values, **r.text}
        if r.is_estimate is not None:
            given["is_estimate"] = r.is_estimate
        merged = {name: getattr(current, name) if current is not None else None for name in FIELDS}
        merged["is_estimate"] = bool(merged["is_estimate"])
        merged.update(given)
        try:
            out.data = NetworkMonthCreate.model_validate(merged)
        except ValidationError as exc:
            out.errors.extend(f"{k}: {v}" if k else v for k, v in field_errors(exc).items())
        if out.errors or out.data is None:
            planned.append(out)
            continue
        out.fields = tuple(n for n in FIELDS if n in given)
        out.sources = r.sources
        out.expected_version = current.version if current is not None else None
        new_values = {n: getattr(out.data, n) for n in out.fields}
        if current is None:
            out.status = "new"
            out.changes = [(n, "—", _text(v)) for n, v in new_values.items() if v is not None]
        else:
            out.changes = [
                (n, _text(getattr(current, n)), _text(v))
                for n, v in new_values.items()
                if not _same(getattr(current, n), v)
            ]
            new_sources = _new_sources(
                dict(current.figure_sources or {}), new_values, {c[0] for c in out.changes}, r.sources
            )
            if new_sources != (current.figure_sources or {}):
                out.changes.append(("sources", _source_text(current.figure_sources), _source_text(new_sources)))
            out.status = "changed" if out.changes else "unchanged"
        planned.append(out)
    return NetworkImportPlan(rows=planned, ignored=parsed.ignored)


def _source_text(entries: dict[str, Any] | None) -> str:
    keys = sorted({str(e.get("source")) for e in (entries or {}).values() if e.get("source")})
    return ", ".join(keys) or "—"


def apply_network_import(*, session: Session, plan: NetworkImportPlan, actor: Actor) -> dict[str, int]:
    """Save every new or changed row with the versions the dry run saw; the caller's savepoint undoes all on
    a conflict."""
    if plan.has_errors:
        raise MonthValidationError([{"path": "file", "message": "the file has rows with errors"}])
    counts = {"created": 0, "updated": 0}
    for row in plan.rows:
        if row.status not in ("new", "changed") or row.data is None or row.period is None:
            continue
        save_network_month(
            session=session,
            period=row.period,
            data=row.data,
            actor=actor,
            expected_version=row.expected_version,
            fields=row.fields,
            sources=row.sources,
        )
        counts["created" if row.status == "new" else "updated"] += 1
    return counts
