"""CSV of exactly what a chart shows: one row per month, per series its value and provenance.

The columns follow the API's vocabulary (app.domain.csvio): the series key bare (`btc_mined`,
`btc_mined:georgia`; `?header=units` adds the unit), then `<key>__source_url`, `<key>__estimate`,
`<key>__illustrative` and `<key>__revised` (true/false); `revision_reason` says why a month was corrected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import Response

from app.domain.charts import Chart
from app.domain.csvio import PROVENANCE_FIELDS, provenance_column, safe_cell
from app.schemas import format_period


def chart_csv(chart: Chart, *, units: bool = False) -> str:
    """A gap is an empty value with empty provenance, never a zero."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["period"]
    for s in chart.series:
        header.append(f"{s.key} ({s.unit})" if units else s.key)
        header += [provenance_column(s.key, f) for f in PROVENANCE_FIELDS]
    header.append("revision_reason")
    writer.writerow(header)
    for i, period in enumerate(chart.periods):
        row: list[str] = [format_period(period)]
        revised: list[str] = []
        for s in chart.series:
            point = s.points[i]
            if point.value is None:
                row += [""] * (1 + len(PROVENANCE_FIELDS))
                continue
            row += [
                safe_cell(point.value),
                safe_cell(" ".join(point.source_urls)),
                safe_cell(point.is_estimate),
                safe_cell(point.is_illustrative),
                safe_cell(point.revised is not None),
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
