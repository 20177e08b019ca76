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
from decimal import Decimal
from functools import lru_cache

from markupsafe import Markup

from app.domain.charts import Chart, Point, Series
from app.domain.csvio import safe_cell
from app.domain.figure_sources import FigureSource
from app.domain.formatting import FORMAT_CACHE_SIZE, format_number

ILLUSTRATIVE = Markup(
    ' <abbr class="flag flag-ill" title="Illustrative: a demo split of the company total, '
    'not published by the company">ill.</abbr>'
)
ESTIMATE = Markup(
    ' <abbr class="flag flag-est" title="Estimate: unaudited, or its source could not be verified">est.</abbr>'
)


# A month without a figure: no exact value, a dash.
GAP_CELL = '<td data-value="">—</td>'


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
    indexes: Sequence[int] = range(len(chart.periods) - 1, -1, -1)
    if limit is not None:
        indexes = indexes[:limit]
    # Column by column: a series' unit and decimals are looked up once, and its months, which mostly share
    # their provenance, reuse the previous month's marks without looking them up.
    columns = [_column(s, indexes, marks) for s in chart.series]
    periods = [chart.periods[i] for i in indexes]
    return [
        Row(period, Markup("".join((f'<tr><th scope="row">{period:%Y-%m}</th>', *cells, "</tr>"))))
        for period, *cells in zip(periods, *columns, strict=True)
    ]


def _column(series: Series, indexes: Sequence[int], marks: _Marks) -> list[str]:
    """The cells of one series for the months at `indexes`, in that order."""
    unit, decimals, points = series.unit, series.decimals, series.points
    cells = []
    last_key: tuple[tuple[FigureSource, ...], str | None, str] | None = None
    last_marks = ""
    for i in indexes:
        point = points[i]
        value = point.value
        if value is None:
            cells.append(GAP_CELL)
            continue
        key = (point.sources, point.revised, point.partial)
        if key != last_key:
            last_key, last_marks = key, marks(point)
        # Joined, not added: str + Markup would escape the cell's own tags.
        cells.append("".join((figure_cell(value, unit, decimals), last_marks, "</td>")))
    return cells


def figure_cell(value: Decimal, unit: str, decimals: int) -> str:
    """`<td data-value="exact">shown`: the opening of a figure's cell, before its marks."""
    # Both texts depend on the value alone (1.50 and 1.5 give the same), so equal decimals may share an entry;
    # zero is left out, as it is by format_number: −0 and 0 are equal but read differently.
    if type(value) is Decimal and value and value.is_finite():
        return _figure_cell(value, unit, decimals)
    return _cell(value, unit, decimals)


# A page's tables hold a few thousand figures, and the pages built after a correction show the same ones again.
@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _figure_cell(value: Decimal, unit: str, decimals: int) -> str:
    return _cell(value, unit, decimals)


def _cell(value: Decimal, unit: str, decimals: int) -> str:
    return f'<td data-value="{safe_cell(value)}">{format_number(value, unit, decimals)}'
