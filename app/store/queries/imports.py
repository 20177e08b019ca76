"""CSV import: compare the file with what is stored (dry run), then apply it all in one go or not at all.

`plan_import` reads nothing but the company's stored rows and writes nothing; `apply_import` saves every new
or changed row through the write contract of `app.store.queries.months` (validation, version check, audit,
data revision) with the versions seen by the plan, so a row changed by someone between the dry run and
the confirmation is a `VersionConflict` and the whole import is undone by the caller's savepoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.domain.formulas import treasury_residual
from app.domain.reports import add_months
from app.schemas.csv_months import COMPANY_FIELDS, COMPANY_ONLY, SITE_FIELDS, SITE_ONLY, CsvRow, ParsedCsv
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate, field_errors
from app.store import queries
from app.store.models import Company, CompanyMonth, RecordStatus, Site, SiteMonth
from app.store.queries import months as month_queries


class Change(NamedTuple):
    """One field of one row: its stored text and its new text ("removed" when the file says CLEAR)."""

    field: str
    old: str
    new: str
    removal: bool = False


@dataclass
class PlannedRow:
    line: int
    label: str
    period: dt.date | None
    site: Site | None
    status: str  # new, changed, unchanged, error
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data: SiteMonthCreate | CompanyMonthCreate | None = None
    expected_version: int | None = None
    stored_status: str | None = None  # draft / published of the stored row

    @property
    def is_correction(self) -> bool:
        return self.status == "changed" and self.stored_status == RecordStatus.published.value


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
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

    @property
    def needs_reason(self) -> bool:
        return any(r.is_correction for r in self.rows)

    @property
    def published_changes(self) -> list[tuple[PlannedRow, Change]]:
        """Every change to a published row (removals first): what investors will see corrected."""
        found = [(r, c) for r in self.rows if r.is_correction for c in r.changes]
        return sorted(found, key=lambda rc: not rc[1].removal)

    @property
    def removals(self) -> list[tuple[PlannedRow, Change]]:
        return [(r, c) for r in self.rows if r.status == "changed" for c in r.changes if c.removal]

    @property
    def warnings(self) -> list[str]:
        return [f"line {r.line}: {w}" for r in self.rows for w in r.warnings]

    def digest(self) -> str:
        """What the editor saw: each row's outcome and the version it was compared with."""
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


def plan_import(*, session: Session, company: Company, parsed: ParsedCsv) -> ImportPlan:
    """Each row of the file as new, changed (old -> new per field), unchanged or error with its reasons."""
    sites = {s.slug: s for s in queries.list_sites(company.id, session=session)}
    periods = [r.period for r in parsed.rows if r.period is not None]
    stored_sites: dict[tuple[int, dt.date], SiteMonth] = {}
    stored_company: dict[dt.date, CompanyMonth] = {}
    if periods:
        start, end = min(periods), max(periods)
        for srow in queries.list_site_months(company.id, session=session, start=start, end=end, published_only=False):
            stored_sites[(srow.site_id, srow.period)] = srow
        for crow in queries.list_company_months(
            company.id, session=session, start=add_months(start, -1), end=end, published_only=False
        ):
            stored_company[crow.period] = crow
    planned = [_plan_row(r, parsed.columns, sites, stored_sites, stored_company) for r in parsed.rows]
    _treasury_warnings(planned, stored_company)
    return ImportPlan(rows=planned, ignored=parsed.ignored)


def _plan_row(
    row: CsvRow,
    columns: list[str],
    sites: dict[str, Site],
    stored_sites: dict[tuple[int, dt.date], SiteMonth],
    stored_company: dict[dt.date, CompanyMonth],
) -> PlannedRow:
    site = sites.get(row.site) if row.site else None
    out = PlannedRow(line=row.line, label=row.label, period=row.period, site=site, status="error")
    out.errors.extend(row.errors)
    if row.site and site is None:
        out.errors.append(f"site: no site {row.site[:64]!r} in this company")
    if row.period is not None:
        out.errors.extend(f"period: {e['message']}" for e in month_queries.check_period(row.period))
        if site is not None:
            out.errors.extend(f"period: {e['message']}" for e in month_queries.check_site_life(site, row.period))
    is_site = row.site is not None
    wrong_level = SITE_ONLY if not is_site else COMPANY_ONLY
    for name in wrong_level:
        if row.values.get(name) is not None:
            where = "a company row (empty site)" if not is_site else "a site row"
            out.errors.append(f"{name}: not a figure of {where}")
    if out.errors or row.period is None:
        return out

    names = SITE_FIELDS if is_site else COMPANY_FIELDS
    stored: SiteMonth | CompanyMonth | None = (
        stored_sites.get((site.id, row.period)) if site is not None else stored_company.get(row.period)
    )
    # Columns in the file replace; columns absent keep what is stored.
    merged: dict[str, Any] = {}
    for name in (*names, "note", "source_url", "is_estimate"):
        if name in row.values:
            merged[name] = row.values[name]
        elif name in row.text:
            merged[name] = row.text[name]
        elif name == "is_estimate" and row.is_estimate is not None:
            merged[name] = row.is_estimate
        else:
            merged[name] = getattr(stored, name) if stored is not None else None
    if merged["is_estimate"] is None:
        merged["is_estimate"] = False
    schema = SiteMonthCreate if is_site else CompanyMonthCreate
    try:
        data = schema.model_validate(merged)
    except ValidationError as exc:
        out.errors.extend(f"{k or 'row'}: {v}" for k, v in field_errors(exc).items())
        return out
    out.data = data
    if stored is None:
        out.status = "new"
        # Zero is a figure: only missing values (and a false estimate flag) are left out.
        out.changes = [
            Change(n, "—", _text(getattr(data, n)))
            for n in (*names, "note", "source_url", "is_estimate")
            if getattr(data, n) is not None and getattr(data, n) is not False
        ]
        # A row of empty cells (an unfilled template) creates nothing.
        out.status = "new" if out.changes else "unchanged"
        return out
    out.expected_version = stored.version
    out.stored_status = stored.status.value
    found = (_change(n, getattr(stored, n), getattr(data, n)) for n in (*names, "note", "source_url", "is_estimate"))
    out.changes = [c for c in found if c is not None]
    out.status = "changed" if out.changes else "unchanged"
    return out


def _change(name: str, old: Any, new: Any) -> Change | None:
    if old == new:
        return None
    if new is None:
        return Change(name, _text(old), "removed", removal=True)
    return Change(name, _text(old), _text(new))


def _treasury_warnings(rows: list[PlannedRow], stored_company: dict[dt.date, CompanyMonth]) -> None:
    """Roll-forward check of each imported company month, against the file's previous month when it has one."""
    held: dict[dt.date, Decimal | None] = {p: r.btc_held_end for p, r in stored_company.items()}
    company_rows = sorted(
        (r for r in rows if r.site is None and isinstance(r.data, CompanyMonthCreate) and r.period is not None),
        key=lambda r: r.period,  # type: ignore[arg-type,return-value]
    )
    for r in company_rows:
        assert isinstance(r.data, CompanyMonthCreate) and r.period is not None
        held[r.period] = r.data.btc_held_end
    for r in company_rows:
        assert isinstance(r.data, CompanyMonthCreate) and r.period is not None
        previous = held.get(add_months(r.period, -1))
        residual = treasury_residual(r.data.btc_held_end, previous, r.data.btc_mined_total, r.data.btc_sold)
        if residual:
            sign = "+" if residual > 0 else ""
            r.warnings.append(
                f"treasury does not roll forward: holdings differ by {sign}{_text(residual)} BTC from previous"
                " holdings + mined − sold"
            )


def apply_import(
    *,
    session: Session,
    company: Company,
    plan: ImportPlan,
    actor: Actor,
    publish: bool = False,
    reason: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Save every new and changed row (and publish unchanged drafts when `publish`); returns counts.

    Raises MonthValidationError when the plan has errors, ReasonRequired / VersionConflict from the saves;
    the caller runs this inside one savepoint (or transaction) so a failure leaves nothing behind.
    `progress(done, total)` is called after each saved row: a ten-year import of ten sites takes seconds.
    """
    if plan.has_errors:
        raise month_queries.MonthValidationError(
            [{"path": f"line {r.line}", "message": "; ".join(r.errors)} for r in plan.rows if r.errors]
        )
    counts = {"created": 0, "updated": 0, "published": 0}
    to_write = rows_to_write(plan, publish=publish)
    for done, row in enumerate(to_write, start=1):
        assert row.data is not None and row.period is not None
        saved: SiteMonth | CompanyMonth
        if row.site is not None:
            assert isinstance(row.data, SiteMonthCreate)
            saved = month_queries.save_site_month(
                session=session,
                site=row.site,
                period=row.period,
                data=row.data,
                actor=actor,
                expected_version=row.expected_version,
                publish=publish,
                reason=reason,
                company=company,
            )
        else:
            assert isinstance(row.data, CompanyMonthCreate)
            saved = month_queries.save_company_month(
                session=session,
                company=company,
                period=row.period,
                data=row.data,
                actor=actor,
                expected_version=row.expected_version,
                publish=publish,
                reason=reason,
            )
        if row.status == "new":
            counts["created"] += 1
        elif row.status == "changed":
            counts["updated"] += 1
        if publish and saved.status == RecordStatus.published and row.stored_status != "published":
            counts["published"] += 1
        if progress is not None:
            progress(done, len(to_write))
    return counts


def rows_to_write(plan: ImportPlan, *, publish: bool) -> list[PlannedRow]:
    """The rows an apply saves: new and changed ones, and unchanged drafts when it publishes."""
    return [
        row
        for row in plan.rows
        if row.status != "unchanged" or (publish and row.stored_status == RecordStatus.draft.value)
    ]
