"""The monthly entry form: field names, reading what was typed, unit conversion, totals.

Field names: `site-<site id>-<field>` for a site's row and `company-<field>` for the company row, where
<field> is a metric name, `note`, `source_url`, `is_estimate` or `version` (hidden; empty for a row not
stored yet). One `hashrate_unit` select (EH/s or PH/s) applies to every hashrate field of the form;
values are stored in EH/s. Everything typed is kept as text so a failed save re-renders it unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError

from app.domain import formulas, metrics
from app.domain.numbers import NumberError, format_bound, parse_number
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate, field_errors
from app.store.models import CompanyMonth, Site, SiteMonth

HASHRATE_FIELDS = ("hashrate_avg_ehs", "hashrate_end_ehs", "hashrate_deployed_ehs")
# Per EH/s: 1 EH/s = 1000 PH/s.
HASHRATE_UNITS: dict[str, Decimal] = {"EH/s": Decimal(1), "PH/s": Decimal(1000)}
SITE_METRIC_FIELDS: tuple[str, ...] = SiteMonthCreate.metric_names()
COMPANY_METRIC_FIELDS: tuple[str, ...] = CompanyMonthCreate.metric_names()
# The four figures of a monthly release first; the operating totals are for companies without a site split.
COMPANY_MAIN_FIELDS = ("btc_mined_total", "btc_held_end", "btc_sold", "btc_sold_proceeds_usd")
TEXT_FIELDS = ("note", "source_url")
# About 17 fields per site: room for 100 sites. Each field is short text (a note at most NOTE_MAX).
MAX_MONTH_FIELDS = 2000
MAX_MONTH_FIELD_BYTES = 64 * 1024


async def read_month_form(request: Request) -> dict[str, str]:
    """The posted month form as text (first value of each name); more fields allowed than other forms."""
    form = await request.form(max_files=0, max_fields=MAX_MONTH_FIELDS, max_part_size=MAX_MONTH_FIELD_BYTES)
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in values:
            values[key] = value
    return values


MonthFormFields = Annotated[dict[str, str], Depends(read_month_form)]


def plain(value: Any) -> str:
    """A stored value as the text an input shows: exact, no exponent, no trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def unit_label(name: str, hashrate_unit: str) -> str:
    return hashrate_unit if name in HASHRATE_FIELDS else metrics.METRICS[name].unit


@dataclass
class RowForm:
    """One row of the form (a site or the company) as typed, and what became of it."""

    key: str  # "company" or "site-<id>"
    label: str
    values: dict[str, str]  # field -> text as typed (metrics, note, source_url)
    is_estimate: bool
    version: int | None
    site: Site | None = None
    data: SiteMonthCreate | CompanyMonthCreate | None = None
    errors: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # stored status, for display
    updated_by: str | None = None
    updated_at: dt.datetime | None = None
    is_illustrative: bool = False
    theirs: dict[str, str] = field(default_factory=dict)  # conflict: field -> the other editor's saved text
    loaded: str = ""  # fingerprint of the stored values when the form was loaded ("" = no stored row)

    def name(self, field_name: str) -> str:
        return f"{self.key}-{field_name}"

    @property
    def is_empty(self) -> bool:
        return not any(v.strip() for v in self.values.values()) and not self.is_estimate

    @property
    def metric_fields(self) -> tuple[str, ...]:
        return SITE_METRIC_FIELDS if self.site is not None else COMPANY_METRIC_FIELDS


def _row_from_stored(
    row: SiteMonth | CompanyMonth | None, names: tuple[str, ...], hashrate_unit: str
) -> dict[str, Any]:
    values = {n: "" for n in (*names, *TEXT_FIELDS)}
    if row is None:
        return {"values": values, "is_estimate": False, "version": None}
    for n in names:
        stored = getattr(row, n)
        if n in HASHRATE_FIELDS and stored is not None:
            stored = stored * HASHRATE_UNITS[hashrate_unit]
        values[n] = plain(stored)
    values["note"] = row.note or ""
    values["source_url"] = row.source_url or ""
    return {
        "values": values,
        "is_estimate": bool(row.is_estimate),
        "version": row.version,
        "status": row.status.value,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at,
    }


def rows_from_stored(
    sites: list[Site], company_row: CompanyMonth | None, site_rows: list[SiteMonth], hashrate_unit: str = "EH/s"
) -> list[RowForm]:
    """The form pre-filled from the stored month: one row per site, then the company row."""
    by_site = {r.site_id: r for r in site_rows}
    rows = []
    for site in sites:
        stored = by_site.get(site.id)
        rows.append(
            RowForm(
                key=f"site-{site.id}",
                label=site.name,
                site=site,
                is_illustrative=bool(stored and stored.is_illustrative),
                **_row_from_stored(stored, SITE_METRIC_FIELDS, hashrate_unit),
            )
        )
    rows.append(
        RowForm(
            key="company",
            label="Company",
            **_row_from_stored(company_row, COMPANY_METRIC_FIELDS, hashrate_unit),
        )
    )
    return rows


def _version(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        version = int(text)
    except ValueError:
        return -1  # never matches a stored version: the save answers with a conflict
    return version if version >= 1 else -1


def _to_ehs(text: str, hashrate_unit: str) -> tuple[str | Decimal, str | None]:
    """Typed hashrate -> EH/s (read by the shared number reader); an error message when it is not a number
    or a PH/s value is more precise than storage."""
    factor = HASHRATE_UNITS[hashrate_unit]
    if factor == 1 or not text:
        return text, None
    try:
        value = parse_number(text, hashrate_unit)
    except NumberError as exc:
        return text, str(exc)
    if value is None:
        return text, None
    converted = value / factor
    if converted.as_tuple().exponent < -6:  # type: ignore[operator]
        return text, "at most 3 decimal places in PH/s (stored as EH/s with 6)"
    return converted, None


def read_rows(fields: dict[str, str], sites: list[Site], hashrate_unit: str) -> list[RowForm]:
    """The rows as posted, each validated against its schema (errors per field, nothing raised)."""
    rows: list[RowForm] = []
    for site in sites:
        rows.append(_read_row(fields, f"site-{site.id}", site.name, SITE_METRIC_FIELDS, hashrate_unit, site))
    rows.append(_read_row(fields, "company", "Company", COMPANY_METRIC_FIELDS, hashrate_unit, None))
    return rows


def _read_row(
    fields: dict[str, str], key: str, label: str, names: tuple[str, ...], hashrate_unit: str, site: Site | None
) -> RowForm:
    values = {n: fields.get(f"{key}-{n}", "") for n in (*names, *TEXT_FIELDS)}
    row = RowForm(
        key=key,
        label=label,
        site=site,
        values=values,
        is_estimate=fields.get(f"{key}-is_estimate", "") in ("on", "true", "1"),
        version=_version(fields.get(f"{key}-version")),
    )
    payload: dict[str, Any] = {"note": values["note"], "source_url": values["source_url"]}
    payload["is_estimate"] = row.is_estimate
    for n in names:
        text = values[n].strip()
        if n in HASHRATE_FIELDS:
            converted, problem = _to_ehs(text, hashrate_unit)
            if problem:
                row.errors[n] = problem
                continue
            payload[n] = converted if converted != "" else None
        else:
            payload[n] = text or None
    schema = SiteMonthCreate if site is not None else CompanyMonthCreate
    try:
        data = schema.model_validate(payload)
    except ValidationError as exc:
        for name, message in field_errors(exc).items():
            row.errors.setdefault(name or "note", _in_unit(name, message, hashrate_unit))
        return row
    if not row.errors:
        row.data = data
    return row


def _in_unit(name: str, message: str, hashrate_unit: str) -> str:
    # Bounds are checked in EH/s; say them in PH/s too when the editor typed PH/s.
    spec = metrics.METRICS.get(name)
    typed_other = name in HASHRATE_FIELDS and hashrate_unit != "EH/s"
    if typed_other and spec is not None and spec.bounds and "between" in message:
        factor = HASHRATE_UNITS[hashrate_unit]
        low, high = (format_bound(b * factor) for b in spec.bounds)
        return f"{message} ({low} to {high} {hashrate_unit})"
    return message


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """What the form shows under the rows (recomputed by static/js/entry.js as the editor types)."""

    sites_btc: Decimal | None
    sites_hashrate_avg: Decimal | None
    unallocated_btc: Decimal | None
    btc_per_ehs_day: Decimal | None
    expected_held_end: Decimal | None


def compute_totals(
    period: dt.date,
    site_values: list[dict[str, Decimal | None]],
    company_values: dict[str, Decimal | None],
    previous_held_end: Decimal | None,
) -> MonthTotals:
    """Sum of sites, BTC not allocated to a site, production yield and the treasury roll-forward."""
    sites_btc = formulas.aggregate("btc_mined", site_values)
    sites_hashrate = formulas.aggregate("hashrate_avg_ehs", site_values)
    total = company_values.get("btc_mined_total")
    btc = total if total is not None else sites_btc
    hashrate = company_values.get("hashrate_avg_ehs") or sites_hashrate
    sold = company_values.get("btc_sold")
    expected = (
        previous_held_end + total - sold
        if previous_held_end is not None and total is not None and sold is not None
        else None
    )
    return MonthTotals(
        sites_btc=sites_btc,
        sites_hashrate_avg=sites_hashrate,
        unallocated_btc=formulas.unallocated_btc(total, [v.get("btc_mined") for v in site_values])
        if site_values
        else None,
        btc_per_ehs_day=formulas.btc_per_ehs_day(btc, hashrate, period),
        expected_held_end=expected,
    )
