"""CSV of exactly what a chart shows: one row per month, per series its value and provenance.

The headings are what the page says: `Month`, `Published company total (BTC)`, then `… : source`,
`… : estimate`, `… : illustrative` and `… : revised` (true/false), for a company value that can be summed from
sites `… : coverage` ("2 of 3 sites (South not reported)" when it covers only some, else empty), and
`Revision reason`. Scripts that want the API's vocabulary (app.domain.csvio) ask for it: `?header=names` gives
the series keys bare (`btc_mined`, `btc_mined:georgia`) with `<key>__source_url`, `<key>__estimate`, …,
`<key>__coverage`, `revision_reason`; `?header=units` the same with the unit after each key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from fastapi import Request
from fastapi.responses import Response

from app.domain.charts import Chart, Series
from app.domain.coverage import COVERABLE
from app.domain.csvio import PROVENANCE_FIELDS, provenance_column, safe_cell
from app.domain.figure_sources import FigureSource
from app.domain.month_memo import KeptFrom
from app.schemas import format_period

HeaderStyle = Literal["labels", "names", "units"]
# The CSV of each finished chart, per heading style.
CHART_CSV: KeptFrom[str] = KeptFrom(capacity=128)
# How a labelled heading names each provenance column, in the order of PROVENANCE_FIELDS.
PROVENANCE_LABELS = {
    "source_url": "source",
    "estimate": "estimate",
    "illustrative": "illustrative",
    "revised": "revised",
    "coverage": "coverage",
}


def _partial_possible(series: Series) -> bool:
    """A company value that can be a sum over some of its sites (one site's own series never is)."""
    return series.metric in COVERABLE and ":" not in series.key


def _fields(series: Series) -> tuple[str, ...]:
    return (*PROVENANCE_FIELDS, "coverage") if _partial_possible(series) else PROVENANCE_FIELDS


def _header(chart: Chart, style: HeaderStyle) -> list[str]:
    if style == "labels":
        header = ["Month"]
        for s in chart.series:
            header.append(f"{s.label} ({s.unit})")
            header += [f"{s.label}: {PROVENANCE_LABELS[f]}" for f in _fields(s)]
        return [*header, "Revision reason"]
    header = ["period"]
    for s in chart.series:
        header.append(f"{s.key} ({s.unit})" if style == "units" else s.key)
        header += [provenance_column(s.key, f) for f in _fields(s)]
    return [*header, "revision_reason"]


def chart_csv(chart: Chart, *, header: HeaderStyle = "labels") -> str:
    """A gap is an empty value with empty provenance, never a zero."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(chart, header))
    # Ten years of points share a handful of provenances and repeat their values: each written once per CSV.
    provenance: dict[tuple[FigureSource, ...], list[str]] = {}
    values: dict[Decimal, str] = {}
    for i, period in enumerate(chart.periods):
        row: list[str] = [format_period(period)]
        revised: list[str] = []
        for s in chart.series:
            point = s.points[i]
            value = point.value
            if value is None:
                row += [""] * (1 + len(_fields(s)))
                continue
            # Not zero by value: 0 and -0 are equal but read differently.
            text = values.get(value) if value else None
            if text is None:
                text = values[value] = safe_cell(value)
            cells = provenance.get(point.sources)
            if cells is None:
                cells = provenance[point.sources] = [
                    safe_cell(" ".join(point.source_urls)),
                    safe_cell(point.is_estimate),
                    safe_cell(point.is_illustrative),
                ]
            row += [text, *cells, "true" if point.revised is not None else "false"]
            if _partial_possible(s):
                row.append(safe_cell(point.partial))
            if point.revised and point.revised not in revised:
                revised.append(point.revised)
        row.append(safe_cell("; ".join(revised)))
        writer.writerow(row)
    return out.getvalue()


def header_style(request: Request) -> HeaderStyle:
    """`?header=names` or `units` for the API's vocabulary; anything else, the page's labels."""
    asked = request.query_params.get("header")
    return asked if asked in ("names", "units") else "labels"  # type: ignore[return-value]


def csv_response(chart: Chart, filename_parts: Sequence[str], *, header: HeaderStyle = "labels") -> Response:
    name = "-".join(p for p in filename_parts if p) + ".csv"
    # A finished chart never changes (app.domain.charts.kept): one kept since the last build keeps its CSV.
    text = CHART_CSV.get((chart,), header, lambda: chart_csv(chart, header=header))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
