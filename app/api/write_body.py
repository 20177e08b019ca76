"""Reading a write's JSON body: media type, parsing, control characters, validation against the schema, and
its OpenAPI description."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from app.domain.text import code_point, control_character
from app.http.problems import ApiProblem

JSON_TYPES = ("application/json",)


async def json_body(request: Request) -> Any:
    """The body as JSON with exact decimals (a float would turn 0.1 into 0.1000000000000000055…)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        raise ApiProblem(
            415,
            "Send the figures as JSON (`Content-Type: application/json`).",
            errors=[{"path": "header.Content-Type", "message": f"{media_type or 'missing'} is not JSON"}],
        )
    raw = await request.body()
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiProblem(
            400, "The request body is not valid JSON", errors=[{"path": "body", "message": str(exc)[:200]}]
        ) from None
    if (found := _control_character(body, "body")) is not None:
        path, char = found
        message = f"contains a control character ({code_point(char)})"
        raise ApiProblem(422, f"{path} {message}", errors=[{"path": path, "message": message}])
    return body


def _control_character(value: Any, path: str) -> tuple[str, str] | None:
    """Where the first control character (or lone surrogate) of a JSON document is, in keys or strings."""
    if isinstance(value, str):
        char = control_character(value, multiline=True)
        return (path, char) if char is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            if (char := control_character(key)) is not None:
                return path, char
            if (found := _control_character(item, f"{path}.{key}")) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _control_character(item, f"{path}.{index}")) is not None:
                return found
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


JsonBody = Annotated[Any, Depends(json_body)]


def _validate(schema: type[BaseModel], body: Any) -> Any:
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        errors = [
            {
                "path": ".".join(["body", *(str(p) for p in err["loc"])]),
                "message": str(err["msg"]).removeprefix("Value error, "),
            }
            for err in exc.errors()
        ]
        raise ApiProblem(422, "Some figures are invalid", errors=errors) from None


def _request_body(schema_name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
        }
    }
