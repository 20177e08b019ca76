"""A site's life on the calendar (pure): the months it operates, and the message that refuses a figure outside them.

A site operates from its energized month (a mid-month energization counts the whole month) up to, not including,
its retired month. A figure for a month outside that span cannot be a figure of that site: the month form, the
CSV import and the API refuse it with the same words, naming the dates.
"""

from __future__ import annotations

import datetime as dt


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _before(month: dt.date) -> dt.date:
    return dt.date(month.year - 1, 12, 1) if month.month == 1 else dt.date(month.year, month.month - 1, 1)


def life_text(energized: dt.date | None, retired: dt.date | None) -> str:
    """'from July 2024', 'from July 2024 to March 2025' (the last month operating), 'until March 2025', ''."""
    start = f"from {_month(energized):%B %Y}" if energized else ""
    end = f"{_before(_month(retired)):%B %Y}" if retired else ""
    if start and end:
        return f"{start} to {end}"
    return start or (f"until {end}" if end else "")


def outside_life(name: str, energized: dt.date | None, retired: dt.date | None, period: dt.date) -> str | None:
    """Why a figure of `period` cannot be entered for the site, or None when the site operates that month."""
    before = energized is not None and period < _month(energized)
    after = retired is not None and period >= _month(retired)
    if not (before or after):
        return None
    return f"{name} operates {life_text(energized, retired)}; figures for {period:%B %Y} cannot be entered"
