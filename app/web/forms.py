"""Reading HTML forms: an async dependency, so the routes themselves stay plain `def` (run in the thread pool)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from app.domain.text import code_point, control_character

# Staff forms are small: a few dozen fields of short text. Anything bigger is refused with a 400 page.
MAX_FIELDS = 200
MAX_FIELD_BYTES = 64 * 1024

M = TypeVar("M", bound=BaseModel)


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields as text (the first value of each name; files are ignored)."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    return text_fields(form)


def text_fields(form: FormData) -> dict[str, str]:
    """The text fields of a parsed form, the first value of each name.

    A field holding a control character (other than the tab and line breaks of multi-line text) is refused
    with a 400 page naming it: no form of this app has a use for one, and Postgres refuses NUL.
    """
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if (char := control_character(key) or control_character(value, multiline=True)) is not None:
            raise HTTPException(
                400, f"The form field {key[:64]!r} contains a control character ({code_point(char)}); remove it."
            )
        values.setdefault(key, value)
    return values


FormFields = Annotated[dict[str, str], Depends(read_form)]


_FRIENDLY = {
    "missing": "This field is required.",
    "date_from_datetime_parsing": "Enter a date as YYYY-MM-DD.",
    "date_parsing": "Enter a date as YYYY-MM-DD.",
    "date_from_datetime_inexact": "Enter a date as YYYY-MM-DD.",
    "int_parsing": "Enter a whole number.",
    "enum": "Choose one of the options.",
    "literal_error": "Choose one of the options.",
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as {field: message}, the first message of each field, in words people read."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "__all__"
        message = _FRIENDLY.get(err["type"]) or str(err["msg"])
        if err.get("input") is None and err["type"] in ("missing", "string_type", "date_type", "int_type"):
            message = "This field is required."
        # "Value error, The slug ..." -> "The slug ..."
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        errors.setdefault(field, message[:1].upper() + message[1:])
    return errors


def parse_form(schema: type[M], fields: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The schema built from the form, or None and the per-field messages."""
    try:
        return schema.model_validate(fields), {}
    except ValidationError as exc:
        return None, field_errors(exc)
