"""Text fields people read (names, titles, reasons, notes, e-mail addresses), as every schema declares them.

`OneLine` refuses control, format and separator characters (app.domain.text.invisible_character): a
company called "evil\u202etxt" would show as "eviltxt" reversed, and a zero-width space makes two names
that look the same. `MultiLine` allows tab and line breaks too. Forms, CSV imports and the API all
validate through these, so each says the same thing: "The name contains an invisible control character
(U+202E)".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

from app.domain.text import invisible_character, invisible_message

_LABELS = {
    "email": "The e-mail address",
    "website_url": "The web address",
    "source_url": "The source address",
}


def label_for(field: str | None) -> str:
    if not field:
        return "This text"
    return _LABELS.get(field, "The " + field.replace("_", " "))


def text_problem(value: str, *, label: str, multiline: bool = False) -> str | None:
    """The message for a text with an invisible character in it, or None (for code outside a schema)."""
    char = invisible_character(value, multiline=multiline)
    return None if char is None else f"{label} {invisible_message(char)}."


def _check(value: str, info: ValidationInfo, *, multiline: bool) -> str:
    if (problem := text_problem(value, label=label_for(info.field_name), multiline=multiline)) is not None:
        raise ValueError(problem)
    return value


def _one_line(value: str, info: ValidationInfo) -> str:
    return _check(value, info, multiline=False)


def _multi_line(value: str, info: ValidationInfo) -> str:
    return _check(value, info, multiline=True)


OneLine = Annotated[str, AfterValidator(_one_line)]
MultiLine = Annotated[str, AfterValidator(_multi_line)]
