"""CSV of exactly what a chart shows: one row per month, per series its value, provenance and sources."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi.responses import Response

from app.domain.charts import Chart
from app.domain.csvio import safe_cell
from app.schemas import format_period


def chart_csv(chart: Chart) -> str:
    """Headers `key (unit)`, `key provenance` (reported, estimate, illustrative), `key source_url`; a gap is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["period"]
    for s in chart.series:
        header += [f"{s.key} ({s.unit})", f"{s.key} provenance", f"{s.key} source_url"]
    header.append("revised")
    writer.writerow(header)
    for i, period in enumerate(chart.periods):
        row: list[str] = [format_period(period)]
        revised: list[str] = []
        for s in chart.series:
            point = s.points[i]
            row += [safe_cell(point.value), point.provenance, safe_cell(" ".join(point.source_urls))]
            if point.revised and point.revised not in revised:
                revised.append(point.revised)
        row.append(safe_cell("; ".join(revised)))
        writer.writerow(row)
    return out.getvalue()


def csv_response(chart: Chart, filename_parts: Sequence[str]) -> Response:
    name = "-".join(p for p in filename_parts if p) + ".csv"
    return Response(
        chart_csv(chart),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
