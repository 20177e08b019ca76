"""Series answers: records (one month of a company, a site, the network), wide or long, JSON or CSV, whole or paged.

One rule for every series: it covers each calendar month from `from` (default its first month with a
figure) to `to` (default its last); a month without figures is a row of nulls (empty CSV cells), never left
out and never a zero. The long shape has a row per figure present. Wide series come whole unless the caller
asks for pages; the long shape and cross-company reads come in pages, and a CSV that would hold only the
first page is refused instead of cut.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any, NamedTuple

from fastapi import Request
from fastapi.responses import Response

from app.api.common import (
    DEFAULT_LIMIT,
    MAX_WHOLE_ROWS,
    CsvLine,
    FormatName,
    JsonText,
    ShapeName,
    csv_line,
    csv_response,
    csv_text,
    encode_json,
    json_response,
    next_link,
    refuse_partial_csv,
    units_for,
)
from app.api.params import ChangesName, HeaderName, bad_parameter
from app.domain.coverage import COVERABLE, Coverage, coverage_text
from app.domain.csvio import CHANGE_FIELDS, change_column, header_for, provenance_column
from app.domain.figure_sources import FigureSource
from app.domain.metrics import METRICS
from app.domain.month_memo import KeptFrom
from app.domain.month_views import NO_CHANGE, Change
from app.schemas import format_period


class Provenance(NamedTuple):
    source_url: str | None
    estimate: bool
    illustrative: bool = False
    basis: str | None = None  # a derived figure computed by the dictionary's second formula: which and why
    revised: bool | None = None  # this figure was corrected (None: the series keeps no per-figure history)

    def is_revised(self, rec: Record) -> bool:
        return rec.revised if self.revised is None else self.revised


def provenance_of(sources: Sequence[FigureSource]) -> Provenance | None:
    """One figure's provenance from the sources behind it (a derived figure has its inputs')."""
    if not sources:
        return None
    urls = list(dict.fromkeys(s.source_url for s in sources if s.source_url))
    basis = next((s.basis for s in sources if s.basis), None)
    return Provenance(
        " ".join(urls) or None,
        any(s.is_estimate for s in sources),
        any(s.is_illustrative for s in sources),
        basis,
        # Per figure: a correction of one figure leaves the month's others unrevised.
        any(s.revisions for s in sources),
    )


@dataclass(slots=True)
class Record:
    """One row of a series: its month, whose it is (company, site), its figures and their provenance."""

    period: dt.date
    keys: tuple[tuple[str, str], ...]
    values: dict[str, Decimal | None]
    provenance: dict[str, Provenance] = field(default_factory=dict)
    revised: bool = False
    changes: dict[str, Change] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # row-level columns, in order
    details: dict[str, dict[str, Any]] = field(default_factory=dict)  # more per figure (a licence) for JSON
    coverage: dict[str, Coverage] = field(default_factory=dict)  # the sites behind each value summed from sites
    # Built from kept month views and kept itself (app.api.records): never changed, so its JSON can be kept too.
    shared: bool = False


@dataclass(frozen=True, slots=True)
class Layout:
    names: tuple[str, ...]
    fmt: FormatName
    shape: ShapeName
    key_columns: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    provenance: bool = False
    changes: ChangesName | None = None
    header: HeaderName = "names"
    with_changes: bool = False  # the endpoint computed changes
    with_revised: bool = True  # figures can be revised (network figures have no history)
    keep_missing: bool = False  # long rows for missing figures too (a frame lists every company)
    coverage: bool = False  # company values: which sites each value summed from sites covers

    @property
    def coverage_names(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n in COVERABLE) if self.coverage else ()

    @property
    def change_mode(self) -> ChangesName:
        if not self.with_changes:
            return "none"
        if self.changes is not None:
            return self.changes
        return "nested" if self.fmt == "json" and self.shape == "wide" else "none"

    @property
    def writes_changes(self) -> bool:
        """Whether any row of this layout states a change (wide: flat or nested; long: its change columns)."""
        if self.shape == "long":
            return self.with_changes and self.changes != "none"
        return self.change_mode != "none"

    @property
    def provenance_fields(self) -> tuple[str, ...]:
        return ("source_url", "estimate", "illustrative", *(("revised",) if self.with_revised else ()))


Row = tuple[tuple[str, ...], Record, str | None]  # sort key, record, metric (long shape)


def _rows(records: Sequence[Record], layout: Layout) -> list[Row]:
    out: list[Row] = []
    for rec in records:
        key = (format_period(rec.period), *(v for _, v in rec.keys))
        if layout.shape == "wide":
            out.append((key, rec, None))
            continue
        for i, name in enumerate(layout.names):
            if rec.values.get(name) is None and not layout.keep_missing:
                continue  # a missing figure is no row, never a zero
            out.append(((*key, f"{i:03d}"), rec, name))
    return out


def _sources_json(rec: Record, layout: Layout) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in layout.names:
        prov = rec.provenance.get(name)
        if prov is None or rec.values.get(name) is None:
            continue
        entry: dict[str, Any] = {
            "source_url": prov.source_url,
            "is_estimate": prov.estimate,
            "is_illustrative": prov.illustrative,
        }
        if layout.with_revised:
            entry["revised"] = prov.is_revised(rec)
        if prov.basis:
            entry["basis"] = prov.basis
        entry.update(rec.details.get(name, {}))
        out[name] = entry
    return out


def wide_json(rec: Record, layout: Layout) -> dict[str, Any]:
    row: dict[str, Any] = {"period": format_period(rec.period), **dict(rec.keys), **rec.extra}
    row["sources"] = _sources_json(rec, layout) if layout.provenance else None
    mode = layout.change_mode
    for name in layout.names:
        row[name] = rec.values.get(name)
        if mode == "flat":
            mom, yoy = rec.changes.get(name, NO_CHANGE)
            row[change_column(name, "mom_pct")] = mom
            row[change_column(name, "yoy_pct")] = yoy
    if layout.coverage:
        row["coverage"] = {
            n: coverage_json(cov)
            for n in layout.names
            if (cov := rec.coverage.get(n)) is not None and rec.values.get(n) is not None
        }
    if mode == "nested":
        nested: dict[str, Any] = {}
        for name in layout.names:
            mom, yoy = rec.changes.get(name, NO_CHANGE)
            if mom is not None or yoy is not None:
                nested[name] = {"mom_pct": mom, "yoy_pct": yoy}
        row["changes"] = nested
    return row


# A kept record's row as JSON, by layout: right after a correction, the API writes only the changed months'.
# A ten-year answer's row is about 3.5 KB, so a full memo is about 7 MB.
_WIDE_TEXTS: KeptFrom[JsonText] = KeptFrom(capacity=2048)


# A kept record's row as CSV, by layout (about 250 bytes each).
_CSV_LINES: KeptFrom[CsvLine] = KeptFrom(capacity=2048)


def wide_text(rec: Record, layout: Layout) -> JsonText:
    """`wide_json` of a shared record, encoded once per layout."""
    return _WIDE_TEXTS.get((rec,), layout, lambda: JsonText(encode_json(wide_json(rec, layout)).decode()))


@lru_cache(maxsize=1024)
def coverage_json(cov: Coverage) -> JsonText:
    """A coverage as JSON, written once: a month's site-summed figures share one, and ten years repeat it."""
    return JsonText(encode_json(cov.as_json()).decode())


def long_columns(layout: Layout) -> list[str]:
    columns = ["period", *layout.key_columns, "metric", "value", "unit"]
    if layout.writes_changes:
        columns += list(CHANGE_FIELDS)
    columns += ["source_url", "is_estimate", "is_illustrative"]
    columns += ["revised"] if layout.with_revised else []
    return columns + (["coverage"] if layout.coverage else [])


def long_row(rec: Record, name: str, columns: list[str], *, text: bool = False) -> dict[str, Any]:
    """One figure's row; `text` gives the coverage as the CSV's words instead of JSON's site lists."""
    present = rec.values.get(name) is not None
    prov = rec.provenance.get(name) if present else None
    cov = rec.coverage.get(name) if present else None
    mom, yoy = rec.changes.get(name, NO_CHANGE)
    full: dict[str, Any] = {
        "period": format_period(rec.period),
        **dict(rec.keys),
        "metric": name,
        "value": rec.values.get(name),
        "unit": METRICS[name].unit,
        "mom_pct": mom,
        "yoy_pct": yoy,
        "source_url": prov.source_url if prov else None,
        "is_estimate": prov.estimate if prov else None,
        "is_illustrative": prov.illustrative if prov else None,
        "revised": prov.is_revised(rec) if prov else rec.revised,
        "coverage": coverage_text(cov) if text else (cov.as_json() if cov is not None else None),
    }
    return {c: full[c] for c in columns}


def _wide_csv(page: list[Row], layout: Layout) -> bytes:
    units = layout.header == "units"
    flat = layout.change_mode == "flat"
    header = ["period", *layout.key_columns, *(header_for(n, units=units) for n in layout.names)]
    if flat:
        header += [change_column(n, f) for n in layout.names for f in CHANGE_FIELDS]
    header += list(layout.extra_columns)
    if layout.provenance:
        header += [provenance_column(n, f) for n in layout.names for f in layout.provenance_fields]
    header += [provenance_column(n, "coverage") for n in layout.coverage_names]

    def cells_of(rec: Record) -> list[object]:
        cells: list[object] = [format_period(rec.period), *(v for _, v in rec.keys)]
        cells += [rec.values.get(n) for n in layout.names]
        if flat:
            cells += [c for n in layout.names for c in rec.changes.get(n, NO_CHANGE)]
        cells += [rec.extra.get(c) for c in layout.extra_columns]
        if layout.provenance:
            for n in layout.names:
                prov = rec.provenance.get(n) if rec.values.get(n) is not None else None
                if prov is None:
                    cells += [None] * len(layout.provenance_fields)
                    continue
                cells += [prov.source_url, prov.estimate, prov.illustrative]
                if layout.with_revised:
                    cells.append(prov.is_revised(rec))
        cells += [
            coverage_text(rec.coverage.get(n)) if rec.values.get(n) is not None else None for n in layout.coverage_names
        ]
        return cells

    def line_of(rec: Record) -> CsvLine:
        return csv_line(cells_of(rec))

    def lines() -> Iterator[list[object] | CsvLine]:
        for _, rec, _ in page:
            yield _CSV_LINES.get((rec,), layout, partial(line_of, rec)) if rec.shared else cells_of(rec)

    return csv_text(header, lines())


def answer(
    request: Request,
    records: Sequence[Record],
    layout: Layout,
    *,
    limit: int | None,
    cursor: str | None,
    paged: bool,
    filename: str,
    envelope: dict[str, Any],
    first: dt.date | None,
    last: dt.date | None,
) -> Response:
    """Render the records whole or as one page (`paged`: pages even without `limit`)."""
    rows = _rows(records, layout)
    explicit = limit is not None or cursor is not None
    page_size = limit if limit is not None else (DEFAULT_LIMIT if paged or cursor is not None else None)
    start = bisect_right([r[0] for r in rows], tuple(cursor.split("~"))) if cursor else 0
    if page_size is None:
        if len(rows) > MAX_WHOLE_ROWS:
            raise bad_parameter(
                "limit",
                f"{len(rows)} rows are more than {MAX_WHOLE_ROWS} in one answer: add limit/cursor to read them "
                "page by page, or narrow from/to",
            )
        page, more = rows, False
    else:
        page, more = rows[start : start + page_size], start + page_size < len(rows)
    if more and layout.fmt == "csv" and not explicit:
        raise refuse_partial_csv(len(rows), page_size or DEFAULT_LIMIT)
    nxt = next_link(request, "~".join(page[-1][0])) if more and page else None
    if layout.shape == "long":
        columns = long_columns(layout)
        data: list[Any] = [long_row(rec, name or "", columns, text=layout.fmt == "csv") for _, rec, name in page]
        if layout.fmt == "csv":
            content = csv_text(columns, ([row[c] for c in columns] for row in data))
            return csv_response(content, filename, next_url=nxt)
    elif layout.fmt == "csv":
        return csv_response(_wide_csv(page, layout), filename, next_url=nxt)
    else:
        data = [wide_text(rec, layout) if rec.shared else wide_json(rec, layout) for _, rec, _ in page]
    body = {
        **envelope,
        "from": format_period(first) if first else None,
        "to": format_period(last) if last else None,
        "count": len(data),
        "units": units_for(layout.names),
        "data": data,
        "next": nxt,
        "limit": page_size,
    }
    return json_response(body, next_url=nxt)
