"""What a site's life accepts: its retired month and dated capacity entries (admin form and API alike)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.schemas.read import format_period, parse_period


def month_value(value: Any) -> dt.date | None:
    """A month given as `YYYY-MM` (a month input) or a date (`YYYY-MM-DD`, the API): its first day."""
    if value is None or isinstance(value, dt.date):
        return value.replace(day=1) if isinstance(value, dt.date) else None
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text).replace(day=1)
        except ValueError:
            raise ValueError(f"{text[:20]!r} is not a month: use YYYY-MM, e.g. 2025-01") from None
    return parse_period(text[:20])


def check_life(energized: dt.date | None, retired: dt.date | None) -> str | None:
    """A site retires after the month it was energized in, or the message saying so."""
    if energized is not None and retired is not None and retired <= energized.replace(day=1):
        return (
            f"The retired month ({format_period(retired)}) must come after the energized month "
            f"({format_period(energized)})."
        )
    return None
