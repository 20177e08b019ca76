"""Static assets with versioned URLs: plotly.js, and our own files.

Versioned URLs let browsers cache for a year (`immutable`); a new release or a changed file gets a new URL.

plotly.js dominates a first visit. The pages draw only scatter and bar traces, so the build served is
plotly.js's "basic" one (scatter, bar, pie: 1.2 MB, 330 KB as brotli), installed from the npm registry at the
version package-lock.json pins (`make assets`, run by `make run`, `make test` and the image build). Where
Node is missing, the full build inside the plotly wheel is served instead (4.8 MB, about 1.1 MB as brotli):
the same charts, three times the bytes. Brotli at that quality costs tens of seconds of CPU, so it is done once per
plotly version, not per process: `minedash build-assets` (run by the image build) writes the compressed
files next to each other in the asset cache, and a server that finds none builds them in a background
thread (one worker at a time, guarded by a lock file) while it answers with gzip made in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from app.store.migrate import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"
BROTLI_QUALITY = 11
JS = "text/javascript"
log = logging.getLogger("minedash.assets")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    brotli: bytes | None = None


# The locked npm build (package.json, package-lock.json); node_modules is not in the repository.
NPM_BUNDLE = PROJECT_ROOT / "node_modules" / "plotly.js-basic-dist-min" / "plotly-basic.min.js"


@cache
def _bundle() -> tuple[Path, str]:
    """The plotly.js file to serve and the tag its URL and cache files carry."""
    if NPM_BUNDLE.is_file():
        npm_version = json.loads((NPM_BUNDLE.parent / "package.json").read_text())["version"]
        return NPM_BUNDLE, f"basic-{npm_version}"
    log.warning("plotly.js basic build not installed (run `make assets`, needs Node): serving the full build")
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js")), version("plotly")


def plotly_version() -> str:
    return _bundle()[1]


def plotly_bundle_path() -> Path:
    return _bundle()[0]


def asset_cache_dir() -> Path:
    """Where precompressed files live: MINEDASH_ASSET_CACHE, else var/assets in the project if writable."""
    configured = os.environ.get("MINEDASH_ASSET_CACHE")
    if configured:
        return Path(configured)
    local = PROJECT_ROOT / "var" / "assets"
    try:
        local.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(tempfile.gettempdir()) / "minedash-assets"
    return local if os.access(local, os.W_OK) else Path(tempfile.gettempdir()) / "minedash-assets"


def _precompressed_paths(body: bytes) -> tuple[Path, Path]:
    # Keyed by content, so an upgraded plotly package never meets the files of the previous one.
    stem = f"plotly-{plotly_version()}-{_content_digest(body)}.min.js"
    directory = asset_cache_dir()
    return directory / f"{stem}.br", directory / f"{stem}.gz"


@cache
def _content_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:12]


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the server may run as another user
    os.replace(tmp, path)


def build_precompressed(*, force: bool = False) -> tuple[Path, Path]:
    """Write plotly.js as brotli (best quality) and gzip (level 9) into the asset cache; idempotent."""
    import brotli

    body = plotly_bundle_path().read_bytes()
    br_path, gz_path = _precompressed_paths(body)
    if force or not gz_path.exists():
        _write_atomically(gz_path, gzip.compress(body, compresslevel=9, mtime=0))
    if force or not br_path.exists():
        _write_atomically(br_path, brotli.compress(body, quality=BROTLI_QUALITY, lgwin=24))
    return br_path, gz_path


_building = threading.Lock()
RECHECK_SECONDS = 5.0
STALE_LOCK_SECONDS = 600.0


def _build_in_background(lock_path: Path) -> None:
    """Build the files once, in one worker; the others see the lock file and pick up the result later."""
    if not _building.acquire(blocking=False):
        return
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        if lock_path.exists() and time.time() - lock_path.stat().st_mtime > STALE_LOCK_SECONDS:
            lock_path.unlink(missing_ok=True)  # left by a worker that died while building
        fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except OSError as exc:
        if not isinstance(exc, FileExistsError):
            log.warning("cannot precompress plotly.js: %s", exc)
        _building.release()
        return

    def run() -> None:
        try:
            build_precompressed()
        except Exception:
            log.exception("precompressing plotly.js failed")
        finally:
            os.close(fd)
            lock_path.unlink(missing_ok=True)
            _building.release()

    threading.Thread(target=run, name="precompress-plotly", daemon=True).start()


def _background_builds_allowed() -> bool:
    # A test run would leave a half-written file behind whenever it ends before the build does.
    from app.settings import get_settings

    return get_settings().environment != "test"


@dataclass(slots=True)
class _Current:
    asset: Asset | None = None
    recheck_at: float = 0.0


_current = _Current()


def plotly_asset() -> Asset:
    """The bundle and its compressed forms; brotli once its file exists (looked for every few seconds)."""
    asset = _current.asset
    if asset is not None and (asset.brotli is not None or time.monotonic() < _current.recheck_at):
        return asset
    body = asset.body if asset is not None else plotly_bundle_path().read_bytes()
    br_path, gz_path = _precompressed_paths(body)
    if br_path.exists() and gz_path.exists():
        asset = Asset(body=body, gzipped=gz_path.read_bytes(), brotli=br_path.read_bytes(), media_type=JS)
    else:
        gzipped = asset.gzipped if asset is not None else gzip.compress(body, compresslevel=6, mtime=0)
        asset = Asset(body=body, gzipped=gzipped, media_type=JS)
        if _background_builds_allowed():
            _build_in_background(br_path.with_suffix(".lock"))
    _current.asset = asset
    _current.recheck_at = time.monotonic() + RECHECK_SECONDS
    return asset


@cache
def _digest(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def asset_digest(relative: str) -> str | None:
    """The content hash `asset_url` puts in the URL, or None for a path that is not one of our files."""
    try:
        return _digest(relative)
    except OSError:
        return None


@cache
def build_tag() -> str:
    """A digest of everything a rendered page depends on besides its data: the code, the templates, our static
    files and the plotly.js build its URLs name.

    Pages kept across processes (app.cache.page_store) are filed under it, so a deploy never serves a page
    rendered by the previous release (whose script URLs, plotly.js's included, may no longer exist).
    """
    digest = hashlib.sha256(plotly_version().encode())
    for root, pattern in ((PROJECT_ROOT / "app", "*.py"), (PROJECT_ROOT / "templates", "*"), (STATIC_DIR, "*")):
        for path in sorted(root.rglob(pattern)):
            if path.is_file():
                digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def asset_url(relative: str) -> str:
    """URL of one of our static files, with a content hash so it can be cached forever."""
    if relative == "vendor/plotly.min.js":
        return f"/static/vendor/plotly-{plotly_version()}.min.js"
    return f"/static/{relative}?v={_digest(relative)}"
