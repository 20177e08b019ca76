"""Why a KPI card shows no change: the month before (or the year before) covers other sites than this one."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.coverage import not_comparable
from app.domain.reports import MonthView, add_months


def change_notes(views: Sequence[MonthView], latest: MonthView, metric: str) -> dict[str, str]:
    """`mom_note` and `yoy_note`: "not comparable: March 2025 covers 2 of 3 sites", or '' when the change (or
    its absence) needs no explaining."""
    by_period = {v.period: v for v in views}
    notes: dict[str, str] = {}
    for key, months in (("mom_note", 1), ("yoy_note", 12)):
        earlier = by_period.get(add_months(latest.period, -months))
        if earlier is None or earlier.values.get(metric) is None:
            notes[key] = ""
            continue
        notes[key] = not_comparable(
            latest.coverage.get(metric),
            earlier.coverage.get(metric),
            current_month=f"{latest.period:%B %Y}",
            earlier_month=f"{earlier.period:%B %Y}",
        )
    return notes
