"""Interactive API documentation, offline: Swagger UI from the installed swagger-ui-bundle package.

FastAPI's built-in /docs page loads its assets from a CDN and starts them with an inline script, which the
strict CSP (`script-src 'self'`) blocks; this page loads everything from this server and is started by our
own static file.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from app.api.entities import ENTITY_SCHEMAS
from app.api.writes import WRITE_SCHEMAS
from app.http.problems import MEDIA_TYPE, Problem
from app.http.templating import templates
from app.schemas.market import NetworkMonthWrite

router = APIRouter(include_in_schema=False)

IMMUTABLE = "public, max-age=31536000, immutable"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@cache
def swagger_version() -> str:
    return version("swagger-ui-bundle-v2")


def _asset_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


@cache
def _asset(name: str) -> tuple[bytes, bytes]:
    body = (_asset_dir() / name).read_bytes()
    return body, gzip.compress(body, compresslevel=9, mtime=0)


@router.get("/docs")
def docs(request: Request) -> Response:
    return templates.TemplateResponse(
        request,
        "api/docs.html",
        {"asset_version": swagger_version(), "openapi_url": request.app.openapi_url},
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/redoc")
def redoc() -> Response:
    return RedirectResponse("/docs", status_code=308)


@router.api_route("/docs/assets/{asset_version}/{name}", methods=["GET", "HEAD"])
def docs_asset(asset_version: str, name: str, request: Request) -> Response:
    if asset_version != swagger_version() or name not in _ASSETS:
        raise HTTPException(status_code=404, detail="No such documentation asset")
    body, gzipped = _asset(name)
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding", "ETag": f'"swagger-{asset_version}-{name}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped, media_type=_ASSETS[name], headers=headers)
    return Response(body, media_type=_ASSETS[name], headers=headers)


_PUBLISHED_PREFIXES = ("/api/", "/healthz", "/readyz")


def api_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document of the API only (pages are not part of it), with problem details as errors."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = FastAPI.openapi(app)
        document["paths"] = {p: item for p, item in document["paths"].items() if p.startswith(_PUBLISHED_PREFIXES)}
        document["info"]["description"] = API_DESCRIPTION
        document["tags"] = TAGS
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        body_schemas: tuple[type[BaseModel], ...] = (*WRITE_SCHEMAS, NetworkMonthWrite, *ENTITY_SCHEMAS)
        for model in body_schemas:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
            schemas.update(body.pop("$defs", {}))
            schemas[model.__name__] = body
        for item in document["paths"].values():
            for method, operation in item.items():
                if method == "get" and operation.get("security"):
                    # Reads take a token (drafts for its writer) but need none: `{}` says anonymous is fine.
                    operation["security"] = [*operation["security"], {}]
                responses = operation.get("responses", {})
                if "422" in responses and "requestBody" not in operation:
                    del responses["422"]  # input errors outside a body are 400s
                elif "422" in responses:
                    responses["422"] = {
                        "description": "The body is well-formed but breaks a rule",
                        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    }
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    return build


API_DESCRIPTION = """Monthly production figures of bitcoin-mining companies, per site and per company.

* **Published figures only**; a month or figure that was not published is `null` (JSON) or an empty cell (CSV),
  never `0`. Numbers are exact decimals written out in full.
* **Series**: every month from `from` to `to` (default the series' first and last month with a figure); a month
  without figures is a row of nulls. The JSON says the series' `from`, `to` and the `count` of rows.
* **Formats**: JSON by default; CSV with `?format=csv` or `Accept: text/csv`; `shape=wide` (one row per month)
  or `shape=long` (one row per figure), for JSON and CSV alike. One vocabulary: bare metric names in JSON keys,
  CSV headers (`header=units` for `name (unit)`), `metrics=` and the import; provenance columns
  `<metric>__source_url`, `__estimate`, `__illustrative`, `__revised`; `changes=flat` for `<metric>_mom_pct`.
* **Never cut**: a wide series comes whole. The long shape, cross-company reads and lists come in pages of 1000
  (`limit` up to 10000, a `cursor` from `next`); follow `next` (in the body, and in a `Link: <…>; rel="next"`
  header) until it is null: every row exactly once. A CSV that would hold only a first page is refused (400).
* **Caching**: every read has an `ETag` (from the data revision) and `Last-Modified`; send `If-None-Match` to get
  `304 Not Modified`. `Cache-Control: no-cache`: store, but revalidate.
* **Errors**: RFC 9457 problem details (`application/problem+json`) with `errors: [{path, message}]`; each
  message names the parameter (`from: expected YYYY-MM, got 2025-1`).
* **CORS**: public reads (GET, HEAD) answer any origin, without credentials.
* **Writes**: `PUT` a month, a company or a site with `Authorization: Bearer <token>`; replacing one that exists
  needs `If-Match` with the ETag of its `GET` (428 without it, 412 when it changed since).
* **Data sources**: network figures carry their source per figure (`provenance=true`). The Coin Metrics community
  data is CC BY-NC 4.0 (attribution, non-commercial); prices are Yahoo Finance closes (reference only). See
  `/sources`; an operator loads their own figures for commercial use.
"""

TAGS = [
    {"name": "companies", "description": "Companies and their monthly figures"},
    {"name": "sites", "description": "Sites and their monthly figures"},
    {
        "name": "network",
        "description": "Bitcoin network and market reference figures (difficulty, hashrate, blocks, subsidy, fees, "
        "BTC price, hashprice), each with its source; Coin Metrics figures are CC BY-NC 4.0",
    },
    {"name": "across companies", "description": "One metric of every company in a month; several companies at once"},
    {"name": "market", "description": "Companies side by side: the league table and quarters"},
    {"name": "events", "description": "Events drawn on the charts"},
    {"name": "metrics", "description": "The metric dictionary"},
    {"name": "writes", "description": "Token-authenticated writes of monthly figures"},
]
