"""RFC 9457 problem details: the one error format of every /api/ path.

An API client always gets `application/problem+json` with type, title, status, detail, instance and, for
input errors, `errors: [{path, message}]`; never an HTML page, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("minedash.api")

MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"
# Bodies of a month's figures are a few kilobytes; anything far larger is refused before it is read.
MAX_BODY_BYTES = 64 * 1024


class FieldError(BaseModel):
    path: str = Field(description="Where the problem is: `body.btc_mined`, `query.from`, `header.If-Match`")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 describes it."""

    type: str = Field(default="about:blank", description="A URI naming the kind of problem")
    title: str = Field(examples=["Not Found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str | None = Field(default=None, examples=["No company with slug 'nope'"])
    instance: str | None = Field(default=None, description="The path of the request", examples=["/api/v1/x"])
    errors: list[FieldError] = Field(default_factory=list)


class ApiProblem(StarletteHTTPException):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.errors = errors or []


def title_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def problem_response(
    request: Request | None,
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title_for(status),
        "status": status,
        "detail": detail,
        "instance": instance if instance is not None else (request.url.path if request is not None else None),
        "errors": errors or [],
        **(extra or {}),
    }
    return Response(json.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def http_problem(request: Request, exc: StarletteHTTPException) -> Response:
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == title_for(exc.status_code):
        detail = None
    return problem_response(
        request, exc.status_code, detail, errors=getattr(exc, "errors", None), headers=getattr(exc, "headers", None)
    )


def _error_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


# What a pattern of a parameter means, in words: an error quotes this, never the regular expression.
PATTERN_HINTS: dict[str, str] = {}


def describe_pattern(pattern: str, hint: str) -> None:
    """Say in words what `pattern` asks for (`YYYY-MM`), for the error of a parameter that does not match it."""
    PATTERN_HINTS[pattern] = hint


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def parameter_message(err: Mapping[str, Any]) -> str:
    """`from: expected YYYY-MM (2009-01 to 2999-12), got 2025-1`: the parameter, what it takes, what came."""
    loc = tuple(err.get("loc", ()))
    name = str(loc[-1]) if loc else "request"
    ctx = err.get("ctx") or {}
    got = f", got {_shown(err['input'])}" if "input" in err and err.get("type") != "missing" else ""
    kind = err.get("type")
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(str(ctx.get("pattern")), "another form")
        return f"{name}: expected {hint}{got}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{name}: expected a whole number{got}"
    if kind in ("bool_parsing", "bool_type"):
        return f"{name}: expected true or false{got}"
    if kind in ("literal_error", "enum"):
        return f"{name}: expected {ctx.get('expected', 'one of the documented values')}{got}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name}: expected at least {ctx.get('ge', ctx.get('gt'))}{got}"
    if kind in ("less_than_equal", "less_than"):
        return f"{name}: expected at most {ctx.get('le', ctx.get('lt'))}{got}"
    if kind == "string_too_long":
        return f"{name}: expected at most {ctx.get('max_length')} characters"
    if kind == "missing":
        return f"{name}: required"
    return f"{name}: {err.get('msg', 'invalid')}"


async def validation_problem(request: Request, exc: RequestValidationError) -> Response:
    raw = exc.errors()
    in_body = any(err["loc"][:1] == ("body",) for err in raw)
    errors = [
        {
            "path": _error_path(tuple(err["loc"])),
            # A body error keeps pydantic's words (its path says which field); a parameter's names it.
            "message": err["msg"] if err["loc"][:1] == ("body",) else parameter_message(err),
        }
        for err in raw
    ]
    # A well-formed body whose values break the rules is 422; a broken request line or a body that is
    # not JSON at all is 400.
    malformed = any(err.get("type") == "json_invalid" for err in raw)
    status = 422 if in_body and not malformed else 400
    if malformed:
        detail = "The request body is not valid JSON"
    elif in_body:
        detail = "Some parameters are invalid"
    else:
        detail = "; ".join(e["message"] for e in errors)
    return problem_response(request, status, detail, errors=errors)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these error statuses, each a problem document."""
    return {
        status: {
            "description": title_for(status),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


class BodyLimitMiddleware:
    """Refuses an API request body over MAX_BODY_BYTES with 413, before the route reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            None, 413, f"The request body is larger than {self.max_bytes} bytes", instance=scope["path"]
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
