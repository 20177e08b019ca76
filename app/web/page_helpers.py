"""What the investor pages share: the KPI cards and the context a chart's macro renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup

from app.domain.charts import Chart
from app.domain.coverage import partial_label
from app.domain.month_memo import KeptFrom
from app.domain.month_views import sources_of, with_changes
from app.domain.provenance import figure_revisions, revised_note, source_links
from app.domain.reports import MonthView, add_months
from app.http.templating import templates
from app.web.chart_table import Row, table_rows
from app.web.kpi_coverage import change_notes
from app.web.page_tables import month_rows, quarter_row, release_options

KPI_METRICS = ("btc_mined", "hashrate_avg_ehs", "fleet_efficiency_jth", "btc_held_end", "btc_per_ehs_day")
# Rows of the table under each chart: the months people check first. The whole table is a link away, so a
# ten-year page does not carry six tables of 120 rows to every phone.
TABLE_MONTHS = 24
# The table rows of each finished chart, per number of months shown.
CHART_ROWS: KeptFrom[list[Row]] = KeptFrom(capacity=256)
# The rendered card of each finished chart, per number of table rows and links (chart_card).
CHART_CARDS: KeptFrom[Markup] = KeptFrom(capacity=256)
# Months loaded before the range so the first months shown still get a year-over-year change.
HISTORY_MONTHS = 12


def kpi_cards(views: list[MonthView]) -> list[dict[str, Any]]:
    """The latest reported value of each headline metric, with its month, changes and caveats."""
    cards: list[dict[str, Any]] = []
    for metric in KPI_METRICS:
        latest = next((v for v in reversed(views) if v.values.get(metric) is not None), None)
        if latest is None:
            cards.append({"metric": metric, "value": None})
            continue
        mom, yoy = with_changes(_change_months(views, latest.period), metric)[latest.period]
        srcs = sources_of(latest, metric)
        # This figure's own corrections: another figure of the month corrected does not mark this card.
        revisions = figure_revisions(srcs)
        cards.append(
            {
                "metric": metric,
                "value": latest.values[metric],
                "period": latest.period,
                "mom": mom,
                "yoy": yoy,
                "is_illustrative": any(s.is_illustrative for s in srcs),
                "is_estimate": any(s.is_estimate for s in srcs),
                "revised_at": revisions[-1].at if revisions else None,
                "revision_reason": revisions[-1].reason if revisions else None,
                "revision_note": revised_note(srcs, metric),
                "source_urls": list(dict.fromkeys(s.source_url for s in srcs if s.source_url)),
                "source_links": source_links(srcs),
                # "2 of 3 sites (South not reported)" for a value from some sites; why a change is n/a.
                "coverage": partial_label(latest.coverage, metric),
                **change_notes(views, latest, metric),
            }
        )
    return cards


def _change_months(views: list[MonthView], period: dt.date) -> list[MonthView]:
    """The months a change of `period` is computed from (itself, the month and the year before): the changes
    of every other month would be computed only to be thrown away."""
    wanted = {period, add_months(period, -1), add_months(period, -12)}
    return [v for v in views if v.period in wanted]


def chart_context(chart: Chart, *, table_months: int | None = None) -> dict[str, Any]:
    """What the chart macro renders: the figure (as JSON on the page) plus the table rows (newest first).

    With `table_months`, the table under the chart holds only the latest months; the page links to the
    whole table (dashboard:chart_table) instead of carrying years of rows nobody asked to open.
    """
    # A finished chart never changes (app.domain.charts.kept): a chart kept since the last build keeps its rows.
    rows = CHART_ROWS.get((chart,), table_months, lambda: table_rows(chart, table_months))
    return {
        "source": chart,  # what chart_card keeps the rendered card by
        "key": chart.key,
        "title": chart.title,
        "unit": chart.unit,
        "note": chart.note,
        "alt": chart.alt,
        "series": chart.series,
        "rows": rows,
        "months": len(chart.periods),
        # Serialised by the `figure_json` filter where a page draws it: the table pages never do.
        "figure": chart.figure,
    }


def chart_card(c: dict[str, Any], csv_url: str | None = None, table_url: str | None = None) -> Markup:
    """The `chart` macro of templates/_macros.html for a chart_context, rendered once per finished chart, links
    and table: a chart kept since the last build (app.domain.charts.kept) keeps its card."""
    settings = (len(c["rows"]), csv_url, table_url)
    return CHART_CARDS.get((c["source"],), settings, lambda: Markup(_macros().chart(c, csv_url, table_url)))


def _macros() -> Any:
    return templates.env.get_template("_macros.html").module


templates.env.filters["chart_card"] = chart_card
# Tables and lists built in Python, not cell by cell (app.web.page_tables).
templates.env.filters["month_rows"] = month_rows
templates.env.filters["quarter_row"] = quarter_row
templates.env.filters["release_options"] = release_options
