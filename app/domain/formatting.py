"""Numbers as a release prints them: the one formatter behind cards, summaries, tables and hover text.

* BTC keeps the precision it was reported with: 626, 10,556, 12.5. A figure stored as 587.00000000 was
  reported as 587, so it reads "587"; the column's eight decimals are storage, not precision.
* EH/s reads with one or two decimals (39.1, 16.25): finer digits are noise at fleet scale.
* Everything else uses the metric's own decimals; every number has thousands separators.
* Changes are signed with a real minus sign: "+6.3%", "−6.3%".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from app.domain.metrics import METRICS

MINUS = "\u2212"
MISSING = "—"
# Stored BTC columns hold eight decimals (satoshis): the most a reported BTC figure can have.
BTC_MAX_DECIMALS = 8


def _reported_decimals(value: Decimal, most: int) -> int:
    """How many decimals the value really has (trailing zeros are storage), at most `most`."""
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # NaN or infinity: never stored, but never a crash either
        return 0
    return min(max(-exponent, 0), most)


def _half_up(value: Decimal, places: int) -> Decimal:
    """Rounded as people round (39.125 -> 39.13), not to the even digit Decimal's formatting picks."""
    if not value.is_finite():
        return value
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# Distinct (value, unit, decimals) remembered: a page formats a few thousand figures, and the pages built after
# a correction show the very same figures again (the other companies' pages, the other views). A ten-year
# overview has about 900 distinct ones; an entry holds about 300 bytes, so a full cache is under 5 MB.
FORMAT_CACHE_SIZE = 16384


def format_number(value: Decimal | float | int, unit: str, decimals: int = 2) -> str:
    """A number in `unit` as the release printed it, without the unit."""
    # The text depends on the value alone, not on how many trailing zeros it is stored with (1.50 reads as
    # 1.5 does), so equal decimals may share an entry. Zero is left out (−0 and 0 are equal but read
    # differently), and so are NaN and infinities (never stored; a signalling NaN cannot even be hashed).
    if type(value) is Decimal and value and value.is_finite():
        return _format_decimal(value, unit, decimals)
    return _format(value if isinstance(value, Decimal) else Decimal(str(value)), unit, decimals)


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _format_decimal(value: Decimal, unit: str, decimals: int) -> str:
    return _format(value, unit, decimals)


def _format(number: Decimal, unit: str, decimals: int) -> str:
    if unit == "BTC":
        places = _reported_decimals(number, BTC_MAX_DECIMALS)
    elif unit == "EH/s":
        places = max(1, _reported_decimals(number, 2))
    else:
        places = decimals
    text = f"{_half_up(number, places):,.{places}f}"
    return text.replace("-", MINUS) if text.startswith("-") else text


def format_figure(value: Decimal | float | int | None, metric: str, with_unit: bool = True) -> str:
    """One metric's figure with (or without) its unit; "—" when there is none."""
    if value is None:
        return MISSING
    spec = METRICS[metric]
    text = format_number(value, spec.unit, spec.decimals)
    return f"{text} {spec.unit}" if with_unit else text


def format_change(pct: Decimal | float | None) -> str:
    """A percent change with its sign: "+6.3%", "−6.3%", "±0.0%"; "—" when there is none."""
    if pct is None:
        return MISSING
    number = Decimal(str(pct)) if not isinstance(pct, Decimal) else pct
    rounded = _half_up(abs(number), 1)
    sign = "+" if number > 0 and rounded else (MINUS if number < 0 and rounded else "±")
    return f"{sign}{rounded:,.1f}%"


def hover_format(unit: str, decimals: int) -> str:
    """The same rule as a d3 number format for chart hover text: `~` drops the zeros storage added."""
    if unit == "BTC":
        return f",.{BTC_MAX_DECIMALS}~f"
    if unit == "EH/s":
        return ",.2~f"
    return f",.{decimals}f"


def label_with_unit(metric: str) -> str:
    """A column heading people read: "BTC mined (BTC)", never the metric's internal name."""
    spec = METRICS[metric]
    return f"{spec.label} ({spec.unit})"
