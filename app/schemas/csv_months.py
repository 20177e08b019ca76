"""The monthly-figures CSV: writing it (export) and reading it back (import), pure functions.

The format, also described in the README ("Importing CSV"), follows app.domain.csvio's conventions:

* UTF-8 (a byte-order mark is allowed), comma-separated (semicolons are recognised), first line a header.
* `period` (YYYY-MM) and `site` (the site's slug; empty for the company's own figures) come first, then one
  column per metric headed by its bare name (`btc_mined`, the dictionary's unit) or `name (unit)`, e.g.
  `btc_mined (BTC)`, then `note`, `source_url`, `is_estimate` (true/false). Hashrate columns may be in PH/s
  (`hashrate_avg_ehs (PH/s)`) and are converted to EH/s; any other unit is refused.
* One row per site and month; a company row carries the company-level figures (`btc_mined_total`,
  `btc_held_end`, `btc_sold`, `btc_sold_proceeds_usd`) and, when published as totals, the operating
  figures (hashrates, efficiency, miners, power capacity).
* An empty cell leaves the stored value as it is (as does a column absent from the file); the word `CLEAR`
  removes a stored value (see app.schemas.csv_cells). Zero is a figure like any other.
* Numbers are read as people write them (app.domain.numbers): `13,603`, `13 603`, `$1,234` in a USD column,
  `95%` in a % column; ambiguous ones (`1.234,5`, `1,23`) are refused.
* A long layout (`period`, `site`, `metric`, `value`, optional `unit`, `source_url`, `is_estimate`: one figure
  per line) is read too.
* A file without a `site` column is read as the company export: only the company figures (`btc_mined_total`,
  `btc_held_end`, `btc_sold`, `btc_sold_proceeds_usd`) are imported; its other metric columns are combined
  values (site sums, or company totals where reported) and are ignored.
* A row whose cells say nothing (a month a calendar-dense export has no figures for, an unfilled template row)
  creates no month: the plan lists it as unchanged.
* Columns the export carries for reading only (derived metrics, network figures, status, revision) are
  ignored on import and listed as such; any other unknown column is an error.
* Cells starting with = + - @ that are not numbers are refused as spreadsheet formulas, except where the
  export neutralised them with a leading apostrophe, which is removed again.

`CsvRow.values` and `.text` hold only the cells that say something: a value, or None for `CLEAR`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.domain.csvio import header_for, is_reading_column, parse_header, safe_cell
from app.domain.metrics import COMPANY_METRICS, COMPANY_OPERATING_METRICS, DERIVED_METRICS, METRICS, NETWORK_METRICS
from app.schemas import format_period, parse_period
from app.schemas.csv_cells import Cleared, decode, read_figure, read_flag, read_text, suggest, unformula
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
SITE_FIELDS: tuple[str, ...] = SiteMonthCreate.metric_names()
COMPANY_FIELDS: tuple[str, ...] = CompanyMonthCreate.metric_names()
ALL_METRICS: tuple[str, ...] = tuple(dict.fromkeys((*SITE_FIELDS, *COMPANY_FIELDS)))
COMPANY_ONLY: tuple[str, ...] = COMPANY_METRICS
SITE_ONLY: tuple[str, ...] = tuple(m for m in SITE_FIELDS if m not in COMPANY_OPERATING_METRICS)
HASHRATE = ("hashrate_avg_ehs", "hashrate_end_ehs", "hashrate_deployed_ehs")
PROVENANCE = ("note", "source_url", "is_estimate")
# Written by exports for people and BI tools; nothing to store.
READ_ONLY_COLUMNS = frozenset(
    {
        "company",
        "site_name",
        "status",
        "revised",
        "revised_at",
        "revision_reason",
        "published_at",
        "updated_at",
        "version",
        "is_illustrative",
        "days_in_month",
        "mom_pct",
        "yoy_pct",
        *DERIVED_METRICS,
        *NETWORK_METRICS,
    }
)


def export_columns(*, units: bool = False) -> list[str]:
    """The wide layout's header: bare metric names as the API writes them, or `name (unit)` (the template)."""
    return ["period", "site", *(header_for(m, units=units) for m in ALL_METRICS), *PROVENANCE]


def write_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The import format, from dicts with `period` (date), `site` (slug or None) and field values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export_columns())
    for row in rows:
        writer.writerow(
            [
                format_period(row["period"]),
                safe_cell(row.get("site")),
                *(safe_cell(row.get(m)) for m in ALL_METRICS),
                safe_cell(row.get("note")),
                safe_cell(row.get("source_url")),
                "true" if row.get("is_estimate") else "false",
            ]
        )
    return out.getvalue()


@dataclass
class CsvRow:
    """One site's (or the company's) month as read from the file; only the columns present are set."""

    line: int
    period: dt.date | None
    site: str | None  # slug; None = the company row
    values: dict[str, Decimal | None] = field(default_factory=dict)  # None: CLEAR
    text: dict[str, str | None] = field(default_factory=dict)  # note, source_url; None: CLEAR
    is_estimate: bool | None = None  # None: not given
    errors: list[str] = field(default_factory=list)
    period_text: str = ""

    @property
    def label(self) -> str:
        return f"{self.period_text or '?'} · {self.site or 'company'}"


@dataclass
class ParsedCsv:
    rows: list[CsvRow]
    columns: list[str]  # fields present: metric names and provenance fields
    ignored: list[str]  # read-only columns skipped
    errors: list[str]  # file-level problems: nothing can be imported
    layout: str = "wide"


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    name: str
    factor: Decimal = Decimal(1)  # value / factor = stored unit

    @property
    def unit(self) -> str:
        """The unit the column's numbers are written in (its `$` or `%` is accepted)."""
        return "PH/s" if self.factor == 1000 else METRICS[self.name].unit


def _header(cells: Sequence[str]) -> tuple[dict[str, _Column], list[str], list[str], str]:
    columns: dict[str, _Column] = {}
    ignored: list[str] = []
    errors: list[str] = []
    names = [c.strip().lstrip("\ufeff") for c in cells]
    long_layout = "metric" in names and "value" in names
    for index, cell in enumerate(names):
        if not cell:
            errors.append(f"Column {index + 1} has no header.")
            continue
        if _is_figure_provenance(cell):
            ignored.append(cell)
            continue
        try:
            # Names are case-insensitive (`Period`, `BTC_mined`); units are not (`PH/s`).
            head, paren, rest = cell.partition("(")
            name, unit = parse_header(head.lower() + paren + rest)
        except ValueError:
            errors.append(
                f"Column {index + 1}: unreadable header {cell!r}; use a metric's name (`btc_mined`) or `name (unit)`."
            )
            continue
        if name in columns:
            errors.append(f"Column {cell!r} appears twice.")
            continue
        if name in ("period", "site", *PROVENANCE) or (long_layout and name in ("metric", "value", "unit")):
            columns[name] = _Column(index, name)
            continue
        if name in ALL_METRICS:
            factor, problem = _unit_factor(name, unit)
            if problem:
                errors.append(f"Column {cell!r}: {problem}")
                continue
            columns[name] = _Column(index, name, factor)
            continue
        if name in READ_ONLY_COLUMNS:
            ignored.append(cell)
            continue
        errors.append(
            f"Unknown column {cell!r}{suggest(name, (*ALL_METRICS, *PROVENANCE, 'period', 'site'))}."
            f" Columns: period, site, {', '.join(PROVENANCE)} and a metric by its name or as `name (unit)`: "
            f"{metric_list()}."
        )
    if "site" not in columns and not long_layout:
        # The company export: its site-level columns are combined values (site sums or company totals).
        for name in [n for n in columns if n in ALL_METRICS and n not in COMPANY_METRICS]:
            ignored.append(names[columns.pop(name).index])
    if "period" not in columns:
        errors.insert(0, "The header has no `period` column (the first line must be the header: period, site, …).")
    return columns, ignored, errors, "long" if long_layout else "wide"


def metric_list(names: Sequence[str] = ALL_METRICS) -> str:
    """`btc_mined (BTC), hashrate_avg_ehs (EH/s or PH/s), …`: what an error or the import page lists."""
    return ", ".join(f"{n} ({METRICS[n].unit}{' or PH/s' if n in HASHRATE else ''})" for n in names)


def _is_figure_provenance(cell: str) -> bool:
    """A figure's provenance or change written beside it for reading (`btc_mined__source_url`,
    `btc_mined_mom_pct`; older exports wrote `btc_mined source_url`)."""
    if is_reading_column(cell):
        return True
    head, _, tail = cell.strip().rpartition(" ")
    return tail in ("source_url", "is_estimate") and head.split(" (")[0] in METRICS


def _unit_factor(name: str, unit: str | None) -> tuple[Decimal, str | None]:
    expected = METRICS[name].unit
    if unit is None or unit.strip() == expected:
        return Decimal(1), None
    if name in HASHRATE and unit.strip() == "PH/s":
        return Decimal(1000), None
    accepted = f"{expected} or PH/s" if name in HASHRATE else expected
    return Decimal(1), f"unit {unit.strip()!r} is not accepted for {name}; use {accepted}"


def parse_csv(content: bytes) -> ParsedCsv:
    """Read an upload into rows; problems are collected (per row, or for the whole file), never raised."""
    if len(content) > MAX_IMPORT_BYTES:
        return ParsedCsv([], [], [], [f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB."])
    text, problem = decode(content)
    if text is None:
        return ParsedCsv([], [], [], [problem or "unreadable file"])
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return ParsedCsv([], [], [], [f"The file is not valid CSV: {exc}."])
    if not lines or not any(c.strip() for c in lines[0]):
        return ParsedCsv([], [], [], ["The file is empty: the first line must be the header (period, site, …)."])
    columns, ignored, errors, layout = _header(lines[0])
    if errors:
        return ParsedCsv([], [], ignored, errors, layout)
    if len(lines) - 1 > MAX_IMPORT_ROWS:
        return ParsedCsv([], [], ignored, [f"The file has more than {MAX_IMPORT_ROWS} rows; split it."], layout)
    body = [(number, cells) for number, cells in enumerate(lines[1:], start=2) if any(c.strip() for c in cells)]
    if layout == "long":
        rows = _long_rows(body, columns)
        present = sorted({m for r in rows for m in r.values}, key=ALL_METRICS.index)
    else:
        rows = [_wide_row(number, cells, columns, len(lines[0])) for number, cells in body]
        present = [c.name for c in sorted(columns.values(), key=lambda c: c.index) if c.name not in ("period", "site")]
    if not rows:
        return ParsedCsv([], present, ignored, ["The file has a header but no rows."], layout)
    _mark_duplicates(rows)
    return ParsedCsv(rows, present, ignored, [], layout)


def _key_cells(row: CsvRow, period_cell: str, site_cell: str) -> None:
    row.period_text = period_cell.strip()
    try:
        row.period = parse_period(row.period_text)
    except ValueError as exc:
        row.errors.append(f"period: {exc}")
    site, problem = unformula(site_cell.strip())
    if problem:
        row.errors.append(f"site: {problem}")
    row.site = site.strip() or None


def _wide_row(number: int, cells: list[str], columns: dict[str, _Column], width: int) -> CsvRow:
    def cell(name: str) -> str:
        col = columns.get(name)
        return cells[col.index] if col is not None and col.index < len(cells) else ""

    row = CsvRow(line=number, period=None, site=None)
    if len(cells) > width:
        row.errors.append(f"{len(cells)} cells but the header has {width} columns")
    _key_cells(row, cell("period"), cell("site"))
    for col in columns.values():
        if col.name not in ("period", "site"):
            _read_cell(row, col, cell(col.name))
    return row


def _read_cell(row: CsvRow, col: _Column, raw: str, where: str = "") -> None:
    """One figure, flag or text into the row; an empty cell says nothing, CLEAR says "remove"."""
    problem: str | None
    if col.name == "is_estimate":
        flag, problem = read_flag(raw)
        if flag is not None:
            row.is_estimate = False if isinstance(flag, Cleared) else (bool(row.is_estimate) or flag)
    elif col.name in ("note", "source_url"):
        text, problem = read_text(raw)
        if text is not None and not row.text.get(col.name):
            row.text[col.name] = None if isinstance(text, Cleared) else text
    else:
        value, problem = read_figure(raw, col.unit, col.factor)
        if value is not None:
            if col.name in row.values and where:
                row.errors.append(f"{where}: {col.name} given twice for this month")
            row.values[col.name] = None if isinstance(value, Cleared) else value
    if problem:
        row.errors.append(f"{where or col.name}{', ' + col.name if where else ''}: {problem}")


def _long_rows(body: list[tuple[int, list[str]]], columns: dict[str, _Column]) -> list[CsvRow]:
    """One figure per line -> one row per (period, site), at the line of its first figure."""

    def cell(cells: list[str], name: str) -> str:
        col = columns.get(name)
        return cells[col.index] if col is not None and col.index < len(cells) else ""

    company_export = "site" not in columns  # see the module docstring
    grouped: dict[tuple[str, str], CsvRow] = {}
    for number, cells in body:
        key = (cell(cells, "period").strip(), cell(cells, "site").strip())
        row = grouped.get(key)
        if row is None:
            row = CsvRow(line=number, period=None, site=None)
            _key_cells(row, key[0], key[1])
            grouped[key] = row
        for name in ("source_url", "note", "is_estimate"):
            if name in columns:
                _read_cell(row, columns[name], cell(cells, name), f"line {number}")
        metric = cell(cells, "metric").strip()
        if metric in READ_ONLY_COLUMNS or (company_export and metric in ALL_METRICS and metric not in COMPANY_METRICS):
            continue
        if metric not in ALL_METRICS:
            known = ALL_METRICS if row.site is None or company_export else SITE_FIELDS
            hint = suggest(metric, ALL_METRICS) or f"; metrics: {metric_list(known)}"
            row.errors.append(f"line {number}: unknown metric {metric[:40]!r}{hint}")
            continue
        factor, problem = _unit_factor(metric, cell(cells, "unit").strip() or None)
        if problem:
            row.errors.append(f"line {number}: {problem}")
            continue
        _read_cell(row, _Column(0, metric, factor), cell(cells, "value"), f"line {number}")
    return list(grouped.values())


def _mark_duplicates(rows: list[CsvRow]) -> None:
    seen: dict[tuple[dt.date, str | None], int] = {}
    for row in rows:
        if row.period is None:
            continue
        key = (row.period, row.site)
        if key in seen:
            row.errors.append(f"the same month and site as line {seen[key]}")
        else:
            seen[key] = row.line
