"""Static assets with versioned URLs: plotly.js from the installed plotly package, and our own files.

Versioned URLs let browsers cache for a year (`immutable`); a new release or a changed file gets a new URL.
plotly.js is compressed once per process and kept in memory: a few MB, the same in every worker.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from app.migrate import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str


@cache
def plotly_version() -> str:
    return version("plotly")


def plotly_bundle_path() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@cache
def plotly_asset() -> Asset:
    body = plotly_bundle_path().read_bytes()
    return Asset(body=body, gzipped=gzip.compress(body, compresslevel=9, mtime=0), media_type="text/javascript")


@cache
def _digest(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def asset_url(relative: str) -> str:
    """URL of one of our static files, with a content hash so it can be cached forever."""
    if relative == "vendor/plotly.min.js":
        return f"/static/vendor/plotly-{plotly_version()}.min.js"
    return f"/static/{relative}?v={_digest(relative)}"
