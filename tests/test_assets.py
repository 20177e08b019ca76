"""plotly.js precompressed once (brotli and gzip) and the Accept-Encoding negotiation."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import brotli
import pytest
from fastapi.testclient import TestClient

from app.cache.etags import preferred_encoding
from app.http import assets
from app.http.assets import plotly_version


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
        (None, None),
        ("*", "br"),
        ("*;q=0", None),
        ("GZIP;q=0.5", "gzip"),
        ("br;q=bogus, gzip", "gzip"),
    ],
)
def test_preferred_encoding(header: str | None, expected: str | None) -> None:
    assert preferred_encoding(header, ("br", "gzip")) == expected


@pytest.fixture
def asset_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINEDASH_ASSET_CACHE", str(tmp_path))
    monkeypatch.setattr(assets, "BROTLI_QUALITY", 1)  # the real quality takes far too long for a test
    monkeypatch.setattr(assets, "_current", assets._Current())
    return tmp_path


def test_plotly_served_as_brotli_once_built(client: TestClient, asset_cache: Path) -> None:
    br_path, gz_path = assets.build_precompressed()
    assert br_path.parent == asset_cache and br_path.exists() and gz_path.exists()
    url = f"/static/vendor/plotly-{plotly_version()}.min.js"
    raw = client.get(url, headers={"Accept-Encoding": "identity"}).content
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "br"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == br_path.stat().st_size < len(raw) / 2
    assert brotli.decompress(br_path.read_bytes()) == raw
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == raw


def test_gzip_until_the_brotli_file_exists(
    client: TestClient, asset_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Path] = []
    monkeypatch.setattr(assets, "_build_in_background", started.append)
    monkeypatch.setattr(assets, "_background_builds_allowed", lambda: True)
    url = f"/static/vendor/plotly-{plotly_version()}.min.js"
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "gzip"
    assert len(started) == 1 and started[0].parent == asset_cache  # the build was started, not awaited


def test_no_background_build_in_a_test_run(
    client: TestClient, asset_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Path] = []
    monkeypatch.setattr(assets, "_build_in_background", started.append)
    client.get(f"/static/vendor/plotly-{plotly_version()}.min.js", headers={"Accept-Encoding": "br"})
    assert started == []


def test_own_static_files_are_immutable_only_under_their_current_hash(client) -> None:
    from app.http.assets import asset_url

    current = client.get(asset_url("css/app.css"))
    assert current.status_code == 200
    assert "immutable" in current.headers["cache-control"]
    stale = client.get("/static/css/app.css?v=000000000000")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert client.get("/static/css/app.css").headers["cache-control"] == "no-cache"
    assert client.get("/static/css/missing.css?v=1").status_code == 404


def test_the_locked_basic_build_is_served_when_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`make assets` installs plotly.js's basic build from the lock; the URL names it, so caches never mix."""
    package = tmp_path / "plotly.js-basic-dist-min"
    package.mkdir()
    (package / "package.json").write_text('{"name": "plotly.js-basic-dist-min", "version": "9.8.7"}')
    (package / "plotly-basic.min.js").write_text("/* basic */")
    monkeypatch.setattr(assets, "NPM_BUNDLE", package / "plotly-basic.min.js")
    assets._bundle.cache_clear()
    try:
        assert assets.plotly_version() == "basic-9.8.7"
        assert assets.plotly_bundle_path().read_text() == "/* basic */"
        assert assets.asset_url("vendor/plotly.min.js") == "/static/vendor/plotly-basic-9.8.7.min.js"
        monkeypatch.setattr(assets, "NPM_BUNDLE", tmp_path / "missing" / "plotly-basic.min.js")
        assets._bundle.cache_clear()
        # Without Node, the full build inside the plotly wheel: the same charts, more bytes.
        assert assets.plotly_version() == version("plotly")
        assert assets.plotly_bundle_path().name == "plotly.min.js"
    finally:
        assets._bundle.cache_clear()


def test_the_npm_dependencies_are_pinned_and_locked() -> None:
    root = Path(__file__).resolve().parent.parent
    manifest = json.loads((root / "package.json").read_text())
    lock = json.loads((root / "package-lock.json").read_text())
    for name, wanted in manifest["dependencies"].items():
        assert wanted[0].isdigit(), f"{name} is not pinned to one version: {wanted}"
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == wanted and locked["integrity"].startswith("sha512-")
    assert "npm ci" in (root / "Makefile").read_text()
