"""What text the app accepts, whoever sends it: URLs, headers, forms, JSON bodies, CSV files.

Two rules, used by the input guard (app.http.input_guard) for every request and by the schemas for every
field people read:

* `control_character`: no C0/C1 control character (NUL above all: Postgres refuses it in text) and no lone
  surrogate (it cannot be encoded to UTF-8); tab, newline and carriage return only in multi-line text.
* `invisible_character`: the above, plus the characters that are invisible or reorder what is shown:
  format characters (bidi overrides and isolates U+202A–U+202E, U+2066–U+2069, zero-width spaces and
  joiners, the BOM, the soft hyphen) and the Unicode line and paragraph separators. A name with U+202E in
  it displays differently from what it is ("evil\u202etxt.exe"), so names, titles and reasons refuse them.
"""

from __future__ import annotations

import re
import unicodedata

MULTILINE_CONTROLS = frozenset("\t\n\r")
# Control (Cc), format (Cf), surrogate (Cs), line and paragraph separator (Zl, Zp).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The last year a month may have anywhere in the app (the first is bitcoin's, 2009): far enough for any
# real figure, near enough that month arithmetic never overflows (December 9999 has no next month).
MAX_YEAR = 2100
# Ids are 32-bit INTEGER columns on both databases.
MAX_ROW_ID = 2**31 - 1


# C0 and C1 controls and lone surrogates, with and without the three a multi-line text may hold. A pattern, not a
# loop over the characters: the input guard runs this on every request's path and query, where a Python loop cost
# about a microsecond per character (50 µs for an API request's query string, half of what a cached answer costs).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character (or lone surrogate) in `value`, or None."""
    found = (_CONTROL_BUT_MULTILINE if multiline else _CONTROL).search(value)
    return None if found is None else found.group()


def invisible_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control, format or separator character in `value`, or None."""
    if value.isascii():
        return control_character(value, multiline=multiline)
    for char in value:
        if multiline and char in MULTILINE_CONTROLS:
            continue
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            return char
    return None


def code_point(char: str) -> str:
    """`U+202E`."""
    return f"U+{ord(char):04X}"


def invisible_message(char: str) -> str:
    return f"contains an invisible control character ({code_point(char)})"
