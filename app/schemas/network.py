"""Network reference months: what the staff form, the CSV import, `minedash import-network` and the API accept.

The CSV layout is the reference file's (data/network_monthly.csv) or the API's network CSV:

* `period` (YYYY-MM), then any of the network metrics, headed by their dictionary name (with or without
  `(unit)`) or by the reference file's short names (`difficulty_avg_t`, `difficulty_end_t`,
  `hashrate_avg_ehs`, `blocks`, `subsidy_btc`, `fees_btc`, `btc_usd_avg`, `btc_usd_close`).
* `sources` (optional): which source fed each group of columns, e.g. ``blk/sub/fee=CM;diff/hash=CM;px=YF``
  (see app.domain.network_sources); `source_url`, `note`, `is_estimate` for the row as a whole.
* Derived columns (`hashprice_usd_per_ph_day`) are recomputed from the stored figures and ignored.
* An empty cell is a missing figure, never zero; a column left out keeps what is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from app.domain.csvio import header_for, parse_header, safe_cell
from app.domain.metrics import DERIVED_METRICS, METRICS, NETWORK_METRICS
from app.domain.network_sources import parse_sources
from app.domain.numbers import NumberError, parse_number
from app.schemas.csv_cells import Cleared, decode, read_flag, unformula
from app.schemas.csv_months import MAX_IMPORT_BYTES
from app.schemas.months import _Provenance
from app.schemas.read import format_period, parse_period

NetworkHashrate = Annotated[Decimal, Field(gt=0, le=Decimal("100000"), max_digits=14, decimal_places=3)]
Difficulty = Annotated[Decimal, Field(gt=0, le=Decimal("100000"), max_digits=14, decimal_places=4)]
Blocks = Annotated[int, Field(ge=0, le=10_000)]
Subsidy = Annotated[Decimal, Field(ge=0, le=Decimal("500000"), max_digits=18, decimal_places=8)]
Fees = Annotated[Decimal, Field(ge=0, le=Decimal("100000"), max_digits=18, decimal_places=8)]
Price = Annotated[Decimal, Field(gt=0, le=Decimal("100000000"), max_digits=18, decimal_places=2)]

MAX_NETWORK_ROWS = 2_000
# The reference file's short names.
ALIASES: dict[str, str] = {
    "difficulty_avg_t": "network_difficulty_avg_t",
    "difficulty_end_t": "network_difficulty_t",
    "difficulty_t": "network_difficulty_t",
    "hashrate_avg_ehs": "network_hashrate_avg_ehs",
    "blocks": "network_blocks",
    "subsidy_btc": "network_subsidy_btc",
    "fees_btc": "network_fees_btc",
    "btc_usd_avg": "btc_price_avg_usd",
    "btc_usd_close": "btc_price_close_usd",
}
IGNORED = frozenset({*DERIVED_METRICS, "updated_by", "version", "updated_at"})
TEXT_COLUMNS = ("note", "source_url")


class NetworkMonthCreate(_Provenance):
    """One month of network and market reference figures; every figure optional (a gap stays a gap)."""

    network_hashrate_avg_ehs: NetworkHashrate | None = None
    network_difficulty_avg_t: Difficulty | None = None
    network_difficulty_t: Difficulty | None = None
    network_blocks: Blocks | None = None
    network_subsidy_btc: Subsidy | None = None
    network_fees_btc: Fees | None = None
    btc_price_avg_usd: Price | None = None
    btc_price_close_usd: Price | None = None

    @classmethod
    def metric_names(cls) -> tuple[str, ...]:
        return NETWORK_METRICS


assert set(NetworkMonthCreate.model_fields) == {*NETWORK_METRICS, "note", "source_url", "is_estimate"}


@dataclass
class NetworkCsvRow:
    line: int
    period: dt.date | None
    period_text: str
    values: dict[str, Decimal | None] = field(default_factory=dict)  # only the columns present
    sources: dict[str, str] = field(default_factory=dict)  # metric -> source keys, from `sources`
    text: dict[str, str | None] = field(default_factory=dict)
    is_estimate: bool | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ParsedNetworkCsv:
    rows: list[NetworkCsvRow]
    columns: list[str]  # metrics present, in file order
    ignored: list[str]
    errors: list[str]
    has_sources: bool = False


def _column_name(cell: str) -> tuple[str | None, str | None]:
    """(stored name, problem) of a header cell; (None, None) for a column to ignore."""
    try:
        head, paren, rest = cell.partition("(")
        name, unit = parse_header(head.lower() + paren + rest)
    except ValueError:
        return None, f"unreadable header {cell!r}; use `name (unit)`"
    name = ALIASES.get(name, name)
    if name in ("period", "sources", "is_estimate", *TEXT_COLUMNS):
        return name, None
    if name in NETWORK_METRICS:
        if unit is not None and unit.strip() != METRICS[name].unit:
            return None, f"column {cell!r}: use {METRICS[name].unit} for {name}"
        return name, None
    if name in IGNORED:
        return None, None
    return None, f"unknown column {cell!r}; columns: period, a network metric, sources, {', '.join(TEXT_COLUMNS)}"


def parse_network_csv(content: bytes) -> ParsedNetworkCsv:
    """Read a network CSV; problems are collected per row or for the file, never raised."""
    if len(content) > MAX_IMPORT_BYTES:
        return ParsedNetworkCsv([], [], [], [f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB."])
    text, problem = decode(content)
    if text is None:
        return ParsedNetworkCsv([], [], [], [problem or "unreadable file"])
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        return ParsedNetworkCsv([], [], [], [f"The file is not valid CSV: {exc}."])
    if not lines or not any(c.strip() for c in lines[0]):
        return ParsedNetworkCsv([], [], [], ["The file is empty: the first line must be the header (period, …)."])
    columns: dict[str, int] = {}
    ignored: list[str] = []
    errors: list[str] = []
    for index, cell in enumerate(c.strip().lstrip("\ufeff") for c in lines[0]):
        name, problem = _column_name(cell)
        if problem:
            errors.append(problem)
        elif name is None:
            ignored.append(cell)
        elif name in columns:
            errors.append(f"column {cell!r} appears twice")
        else:
            columns[name] = index
    if "period" not in columns:
        errors.insert(0, "The header has no `period` column.")
    if errors:
        return ParsedNetworkCsv([], [], ignored, errors)
    body = [(n, cells) for n, cells in enumerate(lines[1:], start=2) if any(c.strip() for c in cells)]
    if len(body) > MAX_NETWORK_ROWS:
        return ParsedNetworkCsv([], [], ignored, [f"The file has more than {MAX_NETWORK_ROWS} rows; split it."])
    if not body:
        return ParsedNetworkCsv([], [], ignored, ["The file has a header but no rows."])
    rows = [_row(number, cells, columns) for number, cells in body]
    seen: dict[dt.date, int] = {}
    for row in rows:
        if row.period is not None:
            if row.period in seen:
                row.errors.append(f"the same month as line {seen[row.period]}")
            seen.setdefault(row.period, row.line)
    present = [n for n in sorted(columns, key=columns.__getitem__) if n in NETWORK_METRICS]
    return ParsedNetworkCsv(rows, present, ignored, [], has_sources="sources" in columns)


def _row(number: int, cells: list[str], columns: dict[str, int]) -> NetworkCsvRow:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    period_text = cell("period").strip()
    row = NetworkCsvRow(line=number, period=None, period_text=period_text)
    try:
        row.period = parse_period(period_text)
    except ValueError as exc:
        row.errors.append(f"period: {exc}")
    for name in columns:
        if name == "period":
            continue
        raw, problem = unformula(cell(name))
        if problem:
            row.errors.append(f"{name}: {problem}")
        elif name == "sources":
            row.sources, problems = parse_sources(raw)
            row.errors.extend(problems)
        elif name == "is_estimate":
            row.is_estimate, problem = _flag(raw)
        elif name in TEXT_COLUMNS:
            row.text[name] = raw.strip() or None
        else:
            row.values[name], problem = _number(raw, METRICS[name].unit if name in METRICS else "")
        if problem:
            row.errors.append(f"{name}: {problem}")
    return row


def _number(text: str, unit: str) -> tuple[Decimal | None, str | None]:
    """A figure as people write it (the one number reader of app.domain.numbers); empty is a gap."""
    if not text.strip():
        return None, None
    try:
        return parse_number(text, unit), None
    except NumberError as exc:
        return None, str(exc)


def _flag(text: str) -> tuple[bool | None, str | None]:
    flag, problem = read_flag(text)
    return (False if isinstance(flag, Cleared) else flag), problem


def write_network_csv(rows: list[dict[str, object]]) -> str:
    """The import layout (dictionary names with units), from dicts with `period` and the figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", *(header_for(n) for n in NETWORK_METRICS), "sources", *TEXT_COLUMNS, "is_estimate"])
    for row in rows:
        period = row["period"]
        assert isinstance(period, dt.date)
        writer.writerow(
            [
                format_period(period),
                *(safe_cell(row.get(n)) for n in NETWORK_METRICS),
                safe_cell(row.get("sources")),
                *(safe_cell(row.get(n)) for n in TEXT_COLUMNS),
                "true" if row.get("is_estimate") else "false",
            ]
        )
    return out.getvalue()
