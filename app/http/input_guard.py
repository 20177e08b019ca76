"""The one gate every request passes: what the URL and headers carry must be text the app can take.

Postgres refuses NUL in text ("text fields cannot contain NUL"), so a `%00` anywhere a query reads used to
be a 500. Rather than each route remembering, this pure ASGI middleware refuses, before routing:

* a control character (app.domain.text.control_character) in the path, a query parameter's name or value,
  or a header (tab is allowed there, as HTTP allows it): 400;
* a path over MAX_PATH or a query string over MAX_QUERY characters: 400 (documented for every operation,
  unlike 414).

Bodies are checked where they are parsed, with the same rule: form fields in app.web.forms.read_form, JSON
in app.api.writes.json_body (tab, newline and carriage return allowed, as in multi-line text), and each
field's meaning (integers within the 32-bit id range, months within 2009–MAX_YEAR, no invisible
characters in names) in the pydantic schemas (app.schemas) that forms, imports and the API share.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.domain.text import code_point, control_character
from app.http.errors import error_response

MAX_PATH = 2000
MAX_QUERY = 8000
# Bytes a header may not hold: C0 controls except horizontal tab, and DEL. A pattern, searched in C: a loop over
# each byte cost a browser's request (a kilobyte of headers) tens of microseconds.
_BAD_HEADER_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def refusal(scope: Scope) -> tuple[int, str, list[dict[str, str]]] | None:
    """(status, detail, errors) when the request cannot be taken, or None."""
    path: str = scope.get("path", "")
    if len(path) > MAX_PATH:
        return 400, f"The address is longer than {MAX_PATH} characters.", []
    if (char := control_character(path)) is not None:
        return (
            400,
            f"The address contains a control character ({code_point(char)}).",
            [{"path": "path", "message": f"contains a control character ({code_point(char)})"}],
        )
    query: bytes = scope.get("query_string", b"")
    if len(query) > MAX_QUERY:
        return 400, f"The query string is longer than {MAX_QUERY} characters.", []
    # Without a percent sign nothing in the query decodes to another character than it is ('+' is a space): when
    # the raw string holds no control character, neither do its names and values, and it need not be parsed.
    if query and (b"%" in query or control_character(query.decode("latin-1")) is not None):
        # As Starlette reads it: Latin-1 bytes, percent-decoded as UTF-8 (undecodable bytes become U+FFFD).
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            char = control_character(name) or control_character(value)
            if char is not None:
                message = f"contains a control character ({code_point(char)})"
                where = f"query.{name}" if control_character(name) is None else "query"
                return (
                    400,
                    f"The query parameter {where.removeprefix('query.')!r} {message}.",
                    [{"path": where, "message": message}],
                )
    for raw_name, raw_value in scope.get("headers", ()):
        if _BAD_HEADER_BYTE.search(raw_value) is not None or _BAD_HEADER_BYTE.search(raw_name) is not None:
            name = raw_name.decode("latin-1", "replace")
            message = "contains a control character"
            return 400, f"The header {name!r} {message}.", [{"path": f"header.{name}", "message": message}]
    return None


class InputGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (refused := refusal(scope)) is None:
            await self.app(scope, receive, send)
            return
        status, detail, errors = refused
        response = error_response(Request(scope), status, detail, errors=errors)
        await response(scope, receive, send)
