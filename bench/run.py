"""`make bench`: load-test the app as it runs in production, side by side with a bare endpoint.

For each dataset size it creates a Postgres database, generates the data, starts uvicorn, and drives
wrk against each route; it prints requests/s, p50 and p99 latency and the ratio to the ceiling (a bare
endpoint of the same stack measured in the same run), then how p50 moves from the small to the large
dataset, the server time of the overview right after a data change, and the bytes and time a real
Chromium needs for a first and a repeat visit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text, update

from app import migrate
from app.db import make_engine
from app.models import DataRevision
from app.reports import add_months
from bench.generate import generate

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SIZES = {
    "small": {"companies": 20, "sites": 10, "months": 120},
    "large": {"companies": 200, "sites": 10, "months": 120},
}
END = dt.date(2026, 10, 1)


@dataclass
class WrkResult:
    route: str
    path: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    ratio_to_ceiling: float | None = None


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it from Debian's packages", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed")
    return found


def _ms(value: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", value)
    if not match:
        raise ValueError(value)
    number, unit = float(match.group(1)), match.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def run_wrk(wrk: str, base: str, route: str, path: str, headers: dict[str, str], args: argparse.Namespace) -> WrkResult:
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    common = [wrk, "-t", str(args.threads), "-c", str(args.connections), *header_args]
    subprocess.run([*common, "-d", "2s", base + path], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        [*common, "-d", f"{args.duration}s", "--latency", base + path], check=True, capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return WrkResult(route, path, rps, p50, p99, int(bad.group(1)) if bad else 0)


def create_database(name: str) -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
        "LOG_LEVEL": "warning",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def after_change_ms(database_url: str, base: str, path: str, samples: int = 20) -> dict[str, float]:
    """Server time of the page right after published data changed (the revision bumped): no cache helps."""
    engine = make_engine(database_url)
    times = []
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
        client.get(base + path)
        for _ in range(samples):
            with engine.begin() as conn:
                conn.execute(update(DataRevision).values(revision=DataRevision.revision + 1))
            started = time.perf_counter()
            response = client.get(base + path)
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    engine.dispose()
    times.sort()
    return {"median_ms": statistics.median(times), "max_ms": times[-1]}


def browser_figures(base: str, path: str) -> dict[str, Any]:
    """Bytes over the wire (compressed) for a first and a repeat visit, and the time until every chart is drawn."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ]
    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: list[float] = []
        cdp.on("Network.loadingFinished", lambda e: received.append(e["encodedDataLength"]))
        for visit in ("first", "repeat"):
            received.clear()
            page.goto(base + path, wait_until="load")
            page.wait_for_function(
                "[...document.querySelectorAll('[data-figure]')].every(el => el.dataset.drawn === 'true')",
                timeout=30000,
            )
            drawn_ms = page.evaluate("performance.now()")
            page.wait_for_load_state("networkidle")
            out[visit] = {"bytes": int(sum(received)), "requests": len(received), "charts_drawn_ms": round(drawn_ms)}
        browser.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--duration", type=int, default=10, help="seconds per route")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    wrk = ensure_wrk()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "sizes": {},
    }
    for size in args.sizes.split(","):
        shape = SIZES[size]
        name = f"minedash_bench_{size}"
        url = create_database(name)
        engine = make_engine(url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        counts = generate(engine, end=END, **shape)
        engine.dispose()
        print(f"\n== {size}: {counts} generated in {time.perf_counter() - started:.1f}s", flush=True)
        port = free_port()
        server = start_server(url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            slug, site = "miner-000", "site-00"
            first, last = f"{add_months(END, -119):%Y-%m}", f"{END:%Y-%m}"
            routes = [
                ("ceiling (bare endpoint)", "/healthz", {}),
                ("overview page", f"/companies/{slug}", {}),
                ("site page", f"/companies/{slug}/sites/{site}", {}),
                ("monthly API, 120 months", f"/api/v1/companies/{slug}/monthly?from={first}&to={last}", {}),
                ("monthly API as CSV", f"/api/v1/companies/{slug}/monthly?from={first}&to={last}&format=csv", {}),
            ]
            etag = httpx.get(base + f"/companies/{slug}").headers.get("etag")
            if etag:
                routes.append(("overview 304 revalidation", f"/companies/{slug}", {"If-None-Match": etag}))
            rows: list[WrkResult] = []
            for route, path, headers in routes:
                status = httpx.get(base + path, headers=headers).status_code
                if status not in (200, 304):
                    print(f"   {route}: {path} answers {status}; skipped", flush=True)
                    continue
                result = run_wrk(wrk, base, route, path, {"Accept-Encoding": "gzip", **headers}, args)
                rows.append(result)
            ceiling = rows[0].requests_per_s
            for row in rows:
                row.ratio_to_ceiling = row.requests_per_s / ceiling
            entry: dict[str, Any] = {"counts": counts, "routes": [asdict(r) for r in rows]}
            entry["overview_after_change"] = after_change_ms(url, base, f"/companies/{slug}")
            if size == "small":
                entry["browser"] = browser_figures(base, f"/companies/{slug}")
            results["sizes"][size] = entry
            print_size(size, entry)
        finally:
            stop_server(server)
            drop_database(name)
    print_comparison(results)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {args.json.resolve()}")
    return 0


def print_size(size: str, entry: dict[str, Any]) -> None:
    print(f"\n{'route':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'÷ceiling':>9} {'non-2xx':>8}")
    for r in entry["routes"]:
        print(
            f"{r['route']:32} {r['requests_per_s']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
            f"{r['ratio_to_ceiling']:8.0%} {r['non_2xx_3xx']:8d}"
        )
    change = entry["overview_after_change"]
    print(f"overview right after a data change: median {change['median_ms']:.1f} ms, max {change['max_ms']:.1f} ms")
    if "browser" in entry:
        for visit, b in entry["browser"].items():
            print(
                f"browser {visit} visit: {b['bytes'] / 1024:.0f} KiB in {b['requests']} requests, "
                f"charts drawn after {b['charts_drawn_ms']} ms"
            )


def print_comparison(results: dict[str, Any]) -> None:
    sizes = results["sizes"]
    if "small" not in sizes or "large" not in sizes:
        return
    small = {r["route"]: r for r in sizes["small"]["routes"]}
    print("\np50 from small to large (10× the rows):")
    for r in sizes["large"]["routes"]:
        if r["route"] in small and small[r["route"]]["p50_ms"] > 0:
            print(
                f"  {r['route']:32} {small[r['route']]['p50_ms']:7.2f} -> {r['p50_ms']:7.2f} ms "
                f"({r['p50_ms'] / small[r['route']]['p50_ms']:.2f}×)"
            )


if __name__ == "__main__":
    sys.exit(main())
