"""The site page's table of every month: one row per month, newest first, a column per metric.

Built in Python like the charts' tables (app.web.chart_table): ten years by a dozen metrics is over a thousand
cells, and rendering each in Jinja was most of the site page's build.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from app.domain.metrics import METRICS
from app.domain.reports import MonthView
from app.web.chart_table import GAP_CELL, figure_cell

# A site's figures carry a short flag in this table; the charts' tables say more (app.web.chart_table).
ILLUSTRATIVE = ' <abbr class="flag flag-ill" title="Illustrative split">ill.</abbr>'
ESTIMATE = ' <abbr class="flag flag-est" title="Estimate">est.</abbr>'


def month_rows(views: Sequence[MonthView], metrics: Sequence[str]) -> list[Markup]:
    """`<tr>` of each month, newest first: the month, then per metric the exact value, the figure as read
    ("—" for none) and est./ill. when its source says so."""
    columns = [(m, METRICS[m].unit, METRICS[m].decimals) for m in metrics]
    rows = []
    for view in reversed(views):
        values, sources = view.values, view.sources
        cells = [f'<tr><th scope="row">{view.period:%Y-%m}</th>']
        for metric, unit, decimals in columns:
            value = values.get(metric)
            if value is None:
                cells.append(GAP_CELL)
                continue
            cells.append(figure_cell(value, unit, decimals))
            src = sources.get(metric)
            if src is not None:
                if src.is_illustrative:
                    cells.append(ILLUSTRATIVE)
                elif src.is_estimate:
                    cells.append(ESTIMATE)
            cells.append("</td>")
        cells.append("</tr>")
        rows.append(Markup("".join(cells)))
    return rows
