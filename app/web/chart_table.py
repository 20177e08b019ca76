"""The table behind a chart: the chart's own series as rows of months, newest first, with each figure's caveats.

Built in Python rather than cell by cell in a Jinja macro: a ten-year, ten-site overview has thousands of
cells, and a macro call per cell was the larger half of the page's build time. The provenance marks of a
cell depend only on its sources and revision note, which a whole chart shares among a handful of values,
so each distinct set is rendered once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from app.domain.charts import Chart, Point
from app.domain.csvio import safe_cell
from app.domain.formatting import format_number
from app.domain.reports import FigureSource

ILLUSTRATIVE = Markup(
    ' <abbr class="flag flag-ill" title="Illustrative: a demo split of the company total, '
    'not published by the company">ill.</abbr>'
)
ESTIMATE = Markup(
    ' <abbr class="flag flag-est" title="Estimate: unaudited, or its source could not be verified">est.</abbr>'
)


@dataclass(frozen=True, slots=True)
class Row:
    period: dt.date
    html: Markup  # the whole <tr>: month, then per series the figure with its exact value and marks


def provenance_marks(point: Point) -> Markup:
    """The flags and source links after a figure; nothing for a gap."""
    if point.value is None:
        return Markup("")
    parts: list[Markup] = []
    if point.is_illustrative:
        parts.append(ILLUSTRATIVE)
    elif point.is_estimate:
        parts.append(ESTIMATE)
    if point.revised:
        parts.append(Markup(' <abbr class="flag flag-rev" title="{}">rev.</abbr>').format(point.revised))
    if point.partial:
        # "2 of 3 sites" in the cell, which site is missing on hover.
        short = point.partial.split(" (")[0]
        parts.append(Markup(' <abbr class="flag flag-part" title="Partial: {}">{}</abbr>').format(point.partial, short))
    for url, name in point.source_links[:2]:
        parts.append(Markup(' <a class="src" href="{0}" rel="noopener nofollow" title="{0}">{1}</a>').format(url, name))
    return Markup("").join(parts)


class _Marks:
    """provenance_marks, rendered once per distinct (sources, revision) within one table."""

    def __init__(self) -> None:
        self._seen: dict[tuple[tuple[FigureSource, ...], str | None, str], Markup] = {}

    def __call__(self, point: Point) -> Markup:
        key = (point.sources, point.revised, point.partial)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = provenance_marks(point)
        return found


def table_rows(chart: Chart, limit: int | None = None) -> list[Row]:
    """Rows newest first; with `limit`, only that many of the latest months.

    A cell is `<td data-value="exact">shown marks</td>`: the exact stored decimal for machines and tests,
    the figure as people read it (thousands separators, the metric's decimals, "—" for a gap), then the
    est./ill./rev. flags and source links. Numbers need no escaping; marks are escaped when rendered.
    """
    marks = _Marks()
    gap = '<td data-value="">—</td>'
    indexes: Sequence[int] = range(len(chart.periods) - 1, -1, -1)
    if limit is not None:
        indexes = indexes[:limit]
    rows = []
    for i in indexes:
        period = chart.periods[i]
        cells = [f'<tr><th scope="row">{period:%Y-%m}</th>']
        for series in chart.series:
            point = series.points[i]
            if point.value is None:
                cells.append(gap)
            else:
                shown = format_number(point.value, series.unit, series.decimals)
                cells.append(f'<td data-value="{safe_cell(point.value)}">{shown}{marks(point)}</td>')
        cells.append("</tr>")
        rows.append(Row(period, Markup("".join(cells))))
    return rows
