"""Numbers as people type them: the one reader behind the staff form, the CSV import and API strings.

Accepted (and nothing else, so a figure is never read differently from what was meant):

* digits 0–9, an optional sign (`-`, `+` or `−`), `.` as the decimal point: `1234.5`, `-0.002`, `.5`;
* thousands separators in the whole part, one kind per number, every group after the first of exactly
  three digits: comma `13,603`, space `13 603`, narrow no-break space (U+202F), no-break space (U+00A0);
* a leading `$` on a USD figure (`$1,234`, `-$5`) and a trailing `%` on a percentage (`95%`, `95 %`).

Refused, with a message that quotes what was read and says what is expected: a comma after the decimal
point (`1.234,5`, a European number that would otherwise be read a thousand times too small or large), a
separator not followed by three digits (`1,23`), two decimal points, mixed separators, digits of other
scripts (Arabic-Indic `١٢٣`, full-width `１２３`), exponents, words, and a `$` or `%` the unit does not have.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NoReturn

MINUS_SIGNS = ("-", "\u2212")  # hyphen-minus and the typographic minus
# Separator character -> how a message names it. Every kind of space counts as one kind.
GROUP_SEPARATORS = {",": "comma", " ": "space", "\u202f": "space", "\u00a0": "space"}
_BODY = re.compile(r"[0-9.,\u0020\u202f\u00a0]*")
_EXAMPLE = "1234.5 or 1,234.5"


class NumberError(ValueError):
    """The text is not a number this reader accepts; the message says what was read and what is expected."""


def is_usd(unit: str | None) -> bool:
    return unit is not None and unit.split("/")[0] == "USD"


def expected(unit: str | None) -> str:
    """What the reader accepts, said for one unit."""
    extra = ""
    if is_usd(unit):
        extra = ", optionally with a leading $"
    elif unit == "%":
        extra = ", optionally with a trailing %"
    in_unit = f" in {unit}" if unit else ""
    return f"a number{in_unit} such as {_EXAMPLE}{extra}"


def _refuse(text: str, problem: str, unit: str | None) -> NumberError:
    shown = text if len(text) <= 40 else text[:39] + "…"
    return NumberError(f"read “{shown}”: {problem}; expected {expected(unit)}")


def parse_number(text: str, unit: str | None = None) -> Decimal | None:
    """The exact value of `text` in `unit` (its `$` or `%` decoration allowed), None when blank.

    Raises NumberError for anything ambiguous or not a number.
    """
    original = text
    text = text.strip()
    if not text:
        return None
    signs: list[str] = []
    if text[0] in (*MINUS_SIGNS, "+"):
        signs.append(text[0])
        text = text[1:].lstrip()
    if text.startswith("$"):
        if not is_usd(unit):
            _no_decoration(original, "a $ sign", unit)
        text = text[1:].lstrip()
        if text[:1] in (*MINUS_SIGNS, "+"):
            signs.append(text[0])
            text = text[1:].lstrip()
    if len(signs) > 1:
        raise _refuse(original, "two signs", unit)
    if text.endswith("%"):
        if unit != "%":
            _no_decoration(original, "a % sign", unit)
        text = text[:-1].rstrip()
    if not text:
        raise _refuse(original, "no digits", unit)
    if not _BODY.fullmatch(text):
        raise _refuse(original, _stranger(text), unit)
    return _digits(text, bool(signs) and signs[0] in MINUS_SIGNS, original, unit)


def _no_decoration(original: str, what: str, unit: str | None) -> NoReturn:
    problem = f"{what} does not fit a figure in {unit}" if unit else f"{what} is not part of a number"
    raise _refuse(original, problem, unit)


def _stranger(text: str) -> str:
    """Why a character outside digits, point and separators is refused."""
    for char in text:
        if char.isdigit() and not "0" <= char <= "9":
            name = unicodedata.name(char, "").split(" DIGIT")[0].title() or "other"
            return f"digits of another script ({name}); type the digits 0–9"
        if char in "-+\u2212$%":
            return f"a misplaced {char}"
        if char in ("'", "\u2019", "\u066c", "\u066b", "_"):
            return f"{char!r} is not a separator this reader knows"
        if char.isspace():
            return "a space of a kind that is not a thousands separator (tab, line break)"
    return "not a number"


def _digits(text: str, negative: bool, original: str, unit: str | None) -> Decimal:
    if text.count(".") > 1:
        raise _refuse(original, "two decimal points", unit)
    whole, point, fraction = text.partition(".")
    if any(c in GROUP_SEPARATORS for c in fraction):
        if "," in fraction and whole:
            problem = "a comma after the decimal point, as in a European number; use . for decimals only"
        else:
            problem = "a separator after the decimal point"
        raise _refuse(original, problem, unit)
    kinds = {GROUP_SEPARATORS[c] for c in whole if c in GROUP_SEPARATORS}
    if len(kinds) > 1:
        raise _refuse(original, "both commas and spaces between digits; use one kind of thousands separator", unit)
    if kinds:
        groups = re.split(r"[,\u0020\u202f\u00a0]", whole)
        if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
            sep = "comma" if kinds == {"comma"} else "space"
            problem = f"a {sep} where no thousands separator fits (groups of three digits: 1,234,567)"
            if sep == "comma" and len(groups) == 2 and 1 <= len(groups[1]) <= 2 and not point:
                problem = "a comma where no thousands separator fits; for decimals use a point (1.23)"
            raise _refuse(original, problem, unit)
        whole = "".join(groups)
    if not whole and not fraction:
        raise _refuse(original, "no digits", unit)
    try:
        value = Decimal(f"{whole or '0'}.{fraction}" if fraction else whole)
    except InvalidOperation:  # pragma: no cover - the checks above leave only digits
        raise _refuse(original, "not a number", unit) from None
    # The typed precision is kept ("5.10" stays 5.10: the schema checks decimal places); no negative zero.
    return -value if negative and value else value


def format_bound(value: Decimal | int) -> str:
    """A range limit as a message shows it: 250,000 and 0.5, never 2.5E+5."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    text = format(number.normalize(), "f")
    return text
