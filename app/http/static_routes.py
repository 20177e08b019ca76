"""Serving plotly.js (the locked npm build, else the wheel's), precompressed, with a versioned immutable URL."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from app.cache.etags import preferred_encoding
from app.http.assets import asset_digest, plotly_asset, plotly_version

router = APIRouter(include_in_schema=False)

IMMUTABLE = "public, max-age=31536000, immutable"


@router.api_route("/static/vendor/plotly-{version}.min.js", methods=["GET", "HEAD"])
def plotly_js(version: str, request: Request) -> Response:
    if version != plotly_version():
        raise HTTPException(status_code=404, detail="unknown plotly version")
    asset = plotly_asset()
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding", "ETag": f'"plotly-{version}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    available = ("br", "gzip") if asset.brotli is not None else ("gzip",)
    encoding = preferred_encoding(request.headers.get("accept-encoding"), available)
    if encoding == "br" and asset.brotli is not None:
        headers["Content-Encoding"] = "br"
        return Response(asset.brotli, media_type=asset.media_type, headers=headers)
    if encoding == "gzip":
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


class VersionedStaticFiles(StaticFiles):
    """Our own static files; a URL carrying the file's current content hash (`?v=`) is cached for a year.

    Pages link to `asset_url(...)`, so a changed file gets a new URL; a request with an old or no hash gets
    the current file with revalidation instead, so nothing stale is pinned in a browser.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            query = Request(scope).query_params
            # Hashing the file (once per path) is file I/O: on a worker thread, like StaticFiles' own lookups.
            current = await run_in_threadpool(asset_digest, path) if query.get("v") else None
            response.headers["Cache-Control"] = IMMUTABLE if current and query.get("v") == current else "no-cache"
        return response
