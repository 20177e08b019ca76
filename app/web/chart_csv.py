"""CSV of exactly what a chart shows: one row per month, per series its value and provenance.

The columns follow the API's vocabulary (app.domain.csvio): the series key bare (`btc_mined`,
`btc_mined:georgia`; `?header=units` adds the unit), then `<key>__source_url`, `<key>__estimate`,
`<key>__illustrative` and `<key>__revised` (true/false), and for a company value that can be summed from
sites `<key>__coverage` ("2 of 3 sites (South not reported)" when it covers only some, else empty);
`revision_reason` says why a month was corrected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import Response

from app.domain.charts import Chart, Series
from app.domain.coverage import COVERABLE
from app.domain.csvio import PROVENANCE_FIELDS, provenance_column, safe_cell
from app.schemas import format_period


def _partial_possible(series: Series) -> bool:
    """A company value that can be a sum over some of its sites (one site's own series never is)."""
    return series.metric in COVERABLE and ":" not in series.key


def _fields(series: Series) -> tuple[str, ...]:
    return (*PROVENANCE_FIELDS, "coverage") if _partial_possible(series) else PROVENANCE_FIELDS


def chart_csv(chart: Chart, *, units: bool = False) -> str:
    """A gap is an empty value with empty provenance, never a zero."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["period"]
    for s in chart.series:
        header.append(f"{s.key} ({s.unit})" if units else s.key)
        header += [provenance_column(s.key, f) for f in _fields(s)]
    header.append("revision_reason")
    writer.writerow(header)
    for i, period in enumerate(chart.periods):
        row: list[str] = [format_period(period)]
        revised: list[str] = []
        for s in chart.series:
            point = s.points[i]
            if point.value is None:
                row += [""] * (1 + len(_fields(s)))
                continue
            row += [
                safe_cell(point.value),
                safe_cell(" ".join(point.source_urls)),
                safe_cell(point.is_estimate),
                safe_cell(point.is_illustrative),
                safe_cell(point.revised is not None),
                *((safe_cell(point.partial),) if _partial_possible(s) else ()),
            ]
            if point.revised and point.revised not in revised:
                revised.append(point.revised)
        row.append(safe_cell("; ".join(revised)))
        writer.writerow(row)
    return out.getvalue()


def wants_units(request: Request) -> bool:
    return request.query_params.get("header") == "units"


def csv_response(chart: Chart, filename_parts: Sequence[str], *, units: bool = False) -> Response:
    name = "-".join(p for p in filename_parts if p) + ".csv"
    return Response(
        chart_csv(chart, units=units),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
