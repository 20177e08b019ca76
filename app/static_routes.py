"""Serving plotly.js from the installed package, precompressed, with a versioned immutable URL."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.assets import plotly_asset, plotly_version
from app.caching import preferred_encoding

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
