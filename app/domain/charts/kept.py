"""Finished charts kept while what they draw stays the same.

A correction usually moves one figure of one month. The page is built again, and each chart's points with it
(cheap: the month views are kept, app.domain.month_memo), but a chart whose points, months, events and layout
equal those of a chart finished before is that chart: its figure is not drawn again, and what the web layer
builds from a chart (its JSON, its table rows) is kept by the chart's identity.

Equality, not a hash: comparing two charts' points costs little when most of them hold the very decimals and
sources of the kept month views, while hashing them would walk every figure and source on every build.

Kept charts are shared between requests and threads, so nothing may change a chart once it is finished.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from app.lru import Lru

if TYPE_CHECKING:
    from app.domain.charts.figure import Chart

# A slot per chart and range of months (see `_slot`); several companies' charts may share one (the same chart of
# sites with the same slugs), so each slot holds a few, compared one by one. About 1 MB at most per ten-year,
# ten-site chart with its JSON and table rows, usually a tenth of that.
SLOTS = 192
PER_SLOT = 4


class KeptCharts:
    def __init__(self, slots: int = SLOTS, per_slot: int = PER_SLOT) -> None:
        self._slots: Lru[Hashable, tuple[tuple[tuple[object, ...], Chart], ...]] = Lru(slots)
        self._per_slot = per_slot

    def finished(self, chart: Chart, extra: dict[str, Any], draw: Callable[[], Chart]) -> Chart:
        """The kept chart equal to `chart` finished with `extra`, else the one `draw` finishes, kept."""
        slot = _slot(chart)
        inputs = _inputs(chart, extra)
        entries = self._slots.get(slot) or ()
        for kept_inputs, kept in entries:
            if kept_inputs == inputs:
                return kept
        drawn = draw()
        self._slots.put(slot, ((inputs, drawn), *entries[: self._per_slot - 1]))
        return drawn

    def charts(self) -> list[Chart]:
        """Every kept chart (what the tests compare with copies)."""
        return [chart for entries in self._slots.values() for _, chart in entries]

    def clear(self) -> None:
        self._slots.clear()


def _slot(chart: Chart) -> Hashable:
    periods = chart.periods
    return (
        chart.key,
        chart.title,
        len(periods),
        periods[0] if periods else None,
        tuple(s.key for s in chart.series),
    )


def _inputs(chart: Chart, extra: dict[str, Any]) -> tuple[object, ...]:
    """Everything a finished chart is drawn from. Events are rows of a session: their facts stand for them."""
    events = tuple((e.date, e.title, str(e.kind)) for e in chart.events)
    return (chart.unit, chart.note, chart.periods, chart.series, events, extra)


KEPT_CHARTS = KeptCharts()
