"""Reading one cell of an imported CSV: text, figures, flags, and the `CLEAR` that removes a stored figure.

An empty cell means "nothing to say": the stored value stays. Removing a stored value takes the explicit
word `CLEAR` (any case), so a blank left by a spreadsheet, a filter or a shorter export never erases a
published figure. Figures are read by the one number reader (`app.domain.numbers`), so a cell accepts
what the form accepts: `13,603`, `13 603`, `$1,234` in a USD column, `95%` in a % column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from app.domain.numbers import NumberError, parse_number

CLEAR = "CLEAR"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


@dataclass(frozen=True, slots=True)
class Cleared:
    """The cell said CLEAR: remove the stored value."""


CLEARED = Cleared()


def is_clear(text: str) -> bool:
    return text.strip().upper() == CLEAR


def decode(content: bytes) -> tuple[str | None, str | None]:
    """Text of the upload, or an error message (encoding, binary)."""
    if b"\x00" in content:
        return None, "This is not a text file (it contains NUL bytes). Upload a CSV file."
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        return None, (
            f"The file is not UTF-8 (byte {exc.start + 1}, line {line}). Save it as “CSV UTF-8” and upload it again."
        )
    return text, None


def unformula(cell: str) -> tuple[str, str | None]:
    """A text cell's value, or an error for something a spreadsheet would run as a formula."""
    if cell.startswith("'") and cell[1:2] and cell[1] in "=+-@\t\r":
        return cell[1:], None  # neutralised by an export: the text itself
    if cell.startswith(_FORMULA_START):
        return cell, f"{cell[:40]!r} looks like a spreadsheet formula and is refused"
    return cell, None


def read_text(cell: str) -> tuple[str | Cleared | None, str | None]:
    """A note or source URL: None when empty (keep the stored one), CLEARED, or the text."""
    if not cell.strip():
        return None, None
    if is_clear(cell):
        return CLEARED, None
    value, problem = unformula(cell)
    return (None, problem) if problem else (value.strip(), None)


def read_figure(cell: str, unit: str, factor: Decimal = Decimal(1)) -> tuple[Decimal | Cleared | None, str | None]:
    """A metric cell in `unit` (the column's): None when empty (keep), CLEARED, or the value / `factor`."""
    text = cell.strip()
    if not text:
        return None, None
    if is_clear(text):
        return CLEARED, None
    try:
        value = parse_number(text, unit)
    except NumberError as exc:
        if _looks_like_formula(text):
            return None, f"{text[:40]!r} looks like a spreadsheet formula and is refused"
        return None, str(exc)
    assert value is not None
    return (value / factor if factor != 1 else value), None


def _looks_like_formula(text: str) -> bool:
    """`=1+2`, `@SUM(A1)`, `+cmd|…`; not `-1,23` (a mistyped number, said as such)."""
    if text.startswith(("=", "@", "\t", "\r")):
        return True
    return text[0] in "+-" and any(c.isalpha() or c in "()|!=@" for c in text)


def read_flag(cell: str) -> tuple[bool | Cleared | None, str | None]:
    """is_estimate: None when empty (keep the stored flag; false for a new row), CLEARED resets it to false."""
    lowered = cell.strip().lower()
    if not lowered:
        return None, None
    if lowered == CLEAR.lower():
        return CLEARED, None
    if lowered in _TRUE:
        return True, None
    if lowered in _FALSE:
        return False, None
    return None, f"is_estimate must be true or false, not {cell[:20]!r}"


def suggest(name: str, known: Iterable[str]) -> str:
    """` (did you mean btc_mined?)` for a near miss, else nothing."""
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""
