"""CSV conventions shared by every CSV the app writes or reads.

* A metric's column is headed `name (unit)`, e.g. `btc_mined (BTC)`, so a file says its units.
* Periods are `YYYY-MM`; missing figures are empty cells, never 0.
* Cells that a spreadsheet would run as a formula are neutralised on the way out.
"""

from __future__ import annotations

import re
from decimal import Decimal

from app.domain.metrics import METRICS

# Spreadsheet programs evaluate cells starting with these; a leading apostrophe makes them plain text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_HEADER_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(?:\(([^)]*)\))?\s*$")


def header_for(metric: str) -> str:
    return f"{metric} ({METRICS[metric].unit})"


def parse_header(cell: str) -> tuple[str, str | None]:
    """`btc_mined (BTC)` -> ("btc_mined", "BTC"); a bare name gives (name, None)."""
    match = _HEADER_RE.match(cell)
    if not match:
        raise ValueError(f"unreadable column header {cell!r}")
    return match.group(1), match.group(2)


def safe_cell(value: object) -> str:
    """Text for a CSV cell that no spreadsheet will execute; numbers keep their exact decimal form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
