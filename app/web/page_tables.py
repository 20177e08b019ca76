"""Tables and lists of the investor pages built in Python rather than cell by cell in Jinja.

Ten years of months by a dozen metrics is over a thousand cells, forty quarters by eight metrics a few hundred,
and every release is an option of the picker: each cell in Jinja costs a handful of look-ups, filters and an
escape, which made these the larger part of rendering their pages. Each function here gives the same HTML,
byte for byte, as the template it replaced (numbers and month names need no escaping).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from markupsafe import Markup, escape

from app.domain.metrics import METRICS
from app.domain.month_memo import KeptFrom
from app.domain.quarters import Quarter
from app.domain.release import ReleaseInfo
from app.domain.reports import MonthView
from app.lru import Lru
from app.web.chart_table import GAP_CELL, figure_cell

# A site's figures carry a short flag in its month table; the charts' tables say more (app.web.chart_table).
ILLUSTRATIVE = ' <abbr class="flag flag-ill" title="Illustrative split">ill.</abbr>'
ESTIMATE = ' <abbr class="flag flag-est" title="Estimate">est.</abbr>'
# Holdings and their value are read at quarter end: how many of its months have one says nothing about them.
QUARTER_END_STOCKS = ("btc_held_end", "treasury_value_usd")


# Rows of the site page's table, by the kept month view they show (app.domain.month_views.SITE_VIEWS) and the columns:
# after a correction the page writes the changed month's row only. About 1.5 KB each.
MONTH_ROWS: KeptFrom[Markup] = KeptFrom(capacity=4096)
# The release pickers' options, by what they show (release_options).
RELEASE_OPTIONS: Lru[tuple[object, ...], Markup] = Lru(256)
# Rows of the overview's quarter table, by the kept quarter they show (app.web.dashboard.QUARTERS).
QUARTER_ROWS: KeptFrom[Markup] = KeptFrom(capacity=2048)


def month_rows(views: Sequence[MonthView], metrics: Sequence[str]) -> list[Markup]:
    """The site page's table of every month: a `<tr>` per month, newest first, with per metric the exact
    value, the figure as read ("—" for none) and est./ill. when its source says so.

    The views must not change once shown (the kept views never do): a row is kept by its view's identity.
    """
    columns = tuple((m, METRICS[m].unit, METRICS[m].decimals) for m in metrics)
    return [MONTH_ROWS.get((view,), columns, partial(_month_row, view, columns)) for view in reversed(views)]


def _month_row(view: MonthView, columns: Sequence[tuple[str, str, int]]) -> Markup:
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
    return Markup("".join(cells))


def quarter_row(quarter: Quarter, metrics: Sequence[str]) -> Markup:
    """The overview's quarter table row of one quarter: its label, months and whether a month is missing, then
    its figures (quarter_cells). Kept by the quarter's identity: kept quarters never change (app.web.dashboard)."""
    return QUARTER_ROWS.get((quarter,), tuple(metrics), partial(_quarter_row, quarter, metrics))


def _quarter_row(quarter: Quarter, metrics: Sequence[str]) -> Markup:
    label = escape(quarter.label)
    badge = incomplete = ""
    if not quarter.complete:
        incomplete = ' class="incomplete"'
        missing = ", ".join(f"{m:%B %Y}" for m in quarter.missing)
        badge = (
            f' <span class="badge" title="No release for {missing}">'
            f"incomplete: {3 - len(quarter.missing)} of 3 months</span>"
        )
    return Markup(
        "".join(
            (
                f'<tr data-quarter="{label}"{incomplete}>',
                f'<th scope="row">{label} <span class="muted">{quarter.start:%b %Y}–{quarter.end:%b %Y}</span>',
                badge,
                "</th>",
                *quarter_cells(quarter, metrics),
                "</tr>",
            )
        )
    )


def quarter_cells(quarter: Quarter, metrics: Sequence[str]) -> list[Markup]:
    """The overview's quarter table: a `<td>` per metric of one quarter, with the number of its months behind
    a flow or an average that not every month reported."""
    cells = []
    for metric in metrics:
        value = quarter.values[metric]
        if value is None:
            cells.append(Markup(GAP_CELL))
            continue
        spec = METRICS[metric]
        months = quarter.coverage[metric]
        mark = ""
        if months < 3 and metric not in QUARTER_END_STOCKS:
            mark = (
                f'<span class="coverage" title="{months} of the quarter\'s 3 months have this figure">{months}/3</span>'
            )
        cells.append(Markup("".join((figure_cell(value, spec.unit, spec.decimals), mark, "</td>"))))
    return cells


def release_options(releases: Sequence[ReleaseInfo], selected: dt.date) -> Markup:
    """The release picker's `<option>`s: each release by its month, the one shown selected. Kept by what they
    show (the months, which are corrected, the one selected): a correction of an old figure, or a page built
    again after any change, rarely changes them, and formatting ten years of month names is most of their cost."""
    key = (tuple((r.period, r.corrected) for r in releases), selected)
    found = RELEASE_OPTIONS.get(key)
    if found is None:
        found = Markup(
            "".join(
                f'<option value="{period:%Y-%m}"{" selected" if period == selected else ""}>{period:%B %Y}'
                f"{' (corrected)' if corrected else ''}</option>"
                for period, corrected in key[0]
            )
        )
        RELEASE_OPTIONS.put(key, found)
    return found
