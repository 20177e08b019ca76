"""`make bench`: load-test the app as it runs in production, side by side with a bare endpoint.

For each dataset size it creates a Postgres database, generates the data and starts uvicorn on it exactly
as the container does; then it drives wrk against each route of bench/routes.py, the datasets back to back.
It prints requests/s, p50 and p99 latency and the ratio to the ceiling (a bare endpoint of the same app
stack, measured in the same run, before and after the routes), then how p50 moves from the small to the
large dataset, the server time of each page right after a data change (a cache miss), what a real Chromium
downloads for a first and a repeat visit of the overview and when its charts are drawn, and two other
servers measured the same way (bench/references.py). Absolute numbers depend on the machine and on what
else runs on it; the ratios to the ceiling are what carries from one machine to another.

`--browser-only` skips everything but the browser (bench/browser.py): the small dataset served the same way,
then the two visits repeated in fresh browsers (`--visits`), each run and the medians printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.http.assets import build_precompressed
from app.schemas.api import CompanyMonthWrite
from app.store import migrate
from app.store.db import make_engine
from app.store.queries.tokens import create_token
from bench import references
from bench.browser import browser_figures, medians, phases_line, visit_line
from bench.generate import generate
from bench.routes import END, ROUTES, SLUG, Context, Route

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
# Two checkouts benchmarking on one Postgres at once must not drop each other's databases.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "minedash_bench")
SIZES = {
    "small": {"companies": 20, "sites": 10, "months": 120},
    # Ten times the rows through ten times the companies: each page still shows one company's ten years,
    # so its time must not grow with the table (indexes, per-company queries, a cache keyed by revision).
    "large": {"companies": 200, "sites": 10, "months": 120},
    # Ten times the months per company instead (100 years): the overview shows every month, so its miss
    # time grows with it; the 120-month API range must not. Not in the default run.
    "long": {"companies": 20, "sites": 10, "months": 1200},
}
TARGETS_TEXT = {
    "overview_ratio": "overview, data unchanged: >= 100% of the ceiling's requests/s",
    "api_ratio": "monthly API (120 months), unchanged: >= 100% of the ceiling",
    "after_change": "overview right after a data change: server time <= 30 ms",
    "on_demand_overview": "overview built on demand (ten years by from-to, a site filter) <= 20 ms",
    "on_demand_other": "site page, chart table, CSVs, monthly API built on demand <= 15 ms",
    "publish": "the publishing PUT, p50 <= 40 ms",
    "first_visit": "first visit <= 450 KB transferred",
    "repeat_visit": "repeat visit <= 30 KB transferred",
    "first_drawn": "first visit, charts in view drawn <= 1,200 ms",
    "repeat_drawn": "repeat visit, charts in view drawn <= 500 ms",
    "p50_growth": "p50 on the 10x dataset <= 1.5x the small one",
}
# The after-change rows each on-demand target covers (worst median counts).
ON_DEMAND_OVERVIEW = ("overview, ten years by from-to (on demand)", "overview, site filter (on demand)")
ON_DEMAND_OTHER = (
    "site page",
    "chart table page",
    "chart CSV download",
    "CSV export, 120 months",
    "monthly API, 120 months",
)


@dataclass
class WrkResult:
    route: str
    path: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int
    ratio_to_ceiling: float | None = None
    # The p50 of each run when the figures above combine several (see measure_routes).
    p50_runs_ms: list[float] = field(default_factory=list)
    # Each run's requests per second over the mean of the ceiling's runs just before and just after it.
    ratio_runs: list[float] = field(default_factory=list)


def combined(runs: list[WrkResult]) -> WrkResult:
    """Several runs of one route as one row: mean throughput and p50, the worst p99, every error."""
    return WrkResult(
        route=runs[0].route,
        path=runs[0].path,
        requests_per_s=statistics.mean(r.requests_per_s for r in runs),
        p50_ms=statistics.mean(r.p50_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        non_2xx_3xx=sum(r.non_2xx_3xx for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        p50_runs_ms=[r.p50_ms for r in runs],
    )


def load() -> str:
    """The machine's load averages (1, 5, 15 min), to judge how noisy a run was."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it from Debian's packages", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed: apt-get install wrk")
    return found


def _ms(value: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    if not match:
        raise ValueError(f"unexpected wrk latency {value!r}")
    number, unit = float(match.group(1)), match.group(2)
    return {"us": number / 1000, "ms": number, "s": number * 1000, "m": number * 60_000}[unit]


def run_wrk(wrk: str, base: str, name: str, path: str, headers: dict[str, str], args: argparse.Namespace) -> WrkResult:
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    common = [wrk, "-t", str(args.threads), "-c", str(args.connections), "--timeout", "10s", *header_args]
    subprocess.run([*common, "-d", f"{args.warmup}s", base + path], check=True, capture_output=True)
    out = subprocess.run(
        [*common, "-d", f"{args.duration}s", "--latency", base + path], check=True, capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        route=name,
        path=path,
        requests_per_s=rps,
        # No completed request leaves wrk without a distribution: report it as missing, not as 0 ms.
        p50_ms=_ms(latency["50"]) if "50" in latency else float("nan"),
        p99_ms=_ms(latency["99"]) if "99" in latency else float("nan"),
        non_2xx_3xx=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def _admin() -> Any:
    return create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")


def create_database(name: str) -> str:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG_SERVER}/{name}"


def scratch_database(name: str, size: str = "small") -> str:
    """A database of its own holding `size`'s generated dataset, migrated; its URL (drop it with drop_database)."""
    url = create_database(name)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        generate(engine, end=END, **SIZES[size])
    finally:
        engine.dispose()
    return url


def drop_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database_url: str, port: int, workers: int, log_path: Path, checkout: Path = ROOT
) -> subprocess.Popen[bytes]:
    """`minedash serve` with the container's command line and settings (JSON logs at info level included), from
    `checkout` (this one by default; bench.ab serves another beside it, with that checkout's `.venv` if it has
    one).

    Until 2026-12-04 this was uvicorn's own command line with its `--workers`, as the container ran it then: its
    workers share one listening socket, and a wrk run's sixteen connections could all land on one of the two
    workers (see app.cli.workers), which made a route's requests per second jump between runs.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
        "FORWARDED_ALLOW_IPS": "*",
        # `python -m app.cli` finds the checkout's package first; the render process it starts inherits this.
        "PYTHONPATH": str(checkout),
    }
    env.pop("LOG_LEVEL", None)
    own = checkout / ".venv" / "bin" / "python"
    python = str(own) if checkout != ROOT and own.exists() else sys.executable
    cmd = [python, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return references.start(cmd, log_path, f"http://127.0.0.1:{port}/readyz", env, cwd=checkout)


@contextmanager
def bench_database(url: str | None, name: str, *, keep: bool = False) -> Iterator[str]:
    """`url` when one is given; else a scratch database `name` of the small dataset (scratch_database), dropped
    on the way out unless `keep`."""
    if url is not None:
        yield url
        return
    made = scratch_database(name)
    try:
        yield made
    finally:
        if keep:
            print(f"kept: --database-url {made}")
        else:
            drop_database(name)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def probe(client: httpx.Client, base: str, route: Route, path: str) -> tuple[dict[str, str] | None, str]:
    """The headers to send for this route, or None and why it cannot be measured here."""
    response = client.get(base + path)
    if response.status_code != 200:
        return None, f"answers {response.status_code}"
    content_type = response.headers.get("content-type", "")
    if route.content_type and route.content_type not in content_type:
        return None, f"answers {content_type or 'no content type'}, not {route.content_type}"
    headers = {"Accept-Encoding": "gzip, br", **route.headers}
    if route.revalidate:
        etag = response.headers.get("etag")
        if not etag:
            return None, "sends no ETag"
        headers["If-None-Match"] = etag
        if client.get(base + path, headers=headers).status_code != 304:
            return None, "does not answer 304 to its own ETag"
    return headers, ""


def publish_change(engine: Any, slug: str = SLUG, turn: int = 0) -> None:
    """A correction written behind the app's back, straight into the database (bench.profile uses it).

    One figure of the measured company changes and the revision moves on, so no cache may answer; and since the app
    did not make the change, it rendered nothing ahead: the next request pays for the whole build. As the Publisher's
    corrections do, the `turn`-th goes to the holdings of one of the company's last twelve months, each moved up one
    round and back down the next. Until 2026-12-04 every one went to the latest month, up and down in turn: the page
    then had only two states, and a build found the charts of both kept (app.domain.charts.kept), which a real
    correction never does.
    """
    rounds, month = divmod(turn, Publisher.MONTHS)
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                UPDATE company_month
                SET btc_held_end = btc_held_end + :delta,
                    version = version + 1, updated_at = CURRENT_TIMESTAMP, revised_at = CURRENT_TIMESTAMP,
                    revision_reason = 'benchmark correction'
                WHERE id = (SELECT cm.id FROM company_month cm JOIN company c ON c.id = cm.company_id
                            WHERE c.slug = :slug ORDER BY cm.period DESC LIMIT 1 OFFSET :month)
                """
            ),
            {"slug": slug, "delta": 1 if rounds % 2 == 0 else -1, "month": month},
        )
        conn.execute(
            text("UPDATE data_revision SET revision = revision + 1, changed_at = CURRENT_TIMESTAMP WHERE id = 1")
        )
        # As the app's writes do (app.store.queries.bump_data_revision): the company's stored pages are outdated.
        conn.execute(
            text(
                "UPDATE company SET changed_revision = (SELECT revision FROM data_revision WHERE id = 1) "
                "WHERE slug = :slug"
            ),
            {"slug": slug},
        )


class Publisher:
    """A published correction made the way a trusted system makes it: through the app's write API.

    GET one of the measured company's last twelve months (for its ETag), PUT it back with its holdings moved by one
    BTC and a reason. The app then does what it does for every publish, including rendering the company's overview
    ahead (app.cache.page_store), and the time the PUT takes is reported beside the reads.

    The corrections go round the twelve months, each moved up one round and back down the next. Until 2026-12-04
    they all went to the latest month, and its holdings piled up 130-odd corrections within a run: a figure
    carries every correction it ever had (the API lists them all), so each read paid for the corrections made
    before it, and a route measured late in the run for the routes measured before it (the changed month's
    history took 0.6 ms to read with none, 3.3 ms with 327).
    """

    MONTHS = 12

    def __init__(self, engine: Any, slug: str = SLUG) -> None:
        with Session(engine) as session:
            self.secret = create_token(
                session=session, name="bench publisher", scope="write", actor=Actor.system("bench")
            ).secret
            session.commit()
            periods = session.execute(
                text(
                    "SELECT cm.period FROM company_month cm JOIN company c ON c.id = cm.company_id "
                    "WHERE c.slug = :slug ORDER BY cm.period DESC LIMIT :months"
                ),
                {"slug": slug, "months": self.MONTHS},
            ).scalars()
            self.paths = [f"/api/v1/companies/{slug}/monthly/{period:%Y-%m}" for period in periods]
        self.made = 0

    def __call__(self, client: httpx.Client, base: str) -> float:
        """Publish one correction; the PUT's time in milliseconds."""
        rounds, turn = divmod(self.made, len(self.paths))
        path = self.paths[turn]
        self.made += 1
        auth = {"Authorization": f"Bearer {self.secret}"}
        current = client.get(base + path, headers=auth)
        current.raise_for_status()
        stored = json.loads(current.content, parse_float=Decimal)
        body = {k: v for k, v in stored.items() if k in CompanyMonthWrite.model_fields and k != "publish"}
        body["btc_held_end"] = Decimal(body["btc_held_end"]) + (1 if rounds % 2 == 0 else -1)
        body["reason"] = "benchmark correction"
        payload = json.dumps(body, default=str)
        headers = {**auth, "If-Match": current.headers["etag"], "Content-Type": "application/json"}
        started = time.perf_counter()
        response = client.put(base + path, content=payload, headers=headers)
        took = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        return took


def after_change(publish: Publisher, client: httpx.Client, base: str, path: str, samples: int) -> dict[str, Any]:
    """Time to answer right after a published correction, one request at a time, and the publish's own time."""
    times = []
    publishes = []
    size = 0
    for _ in range(samples):
        publishes.append(publish(client, base))
        started = time.perf_counter()
        response = client.get(base + path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "bytes_uncompressed": size,
        "publish_median_ms": round(statistics.median(publishes), 1),
        "publish_ms": [round(t, 1) for t in publishes],
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    admin = _admin()
    with admin.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar_one()
    admin.dispose()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": pg,
    }


@dataclass
class Served:
    """One dataset in its own database, served by its own uvicorn."""

    size: str
    database: str
    engine: Any
    counts: dict[str, int]
    base: str = ""
    server: subprocess.Popen[bytes] | None = None
    plan: list[tuple[Route, str, dict[str, str]]] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    load_before: str = ""


def serve_size(size: str, args: argparse.Namespace, logs: Path) -> Served:
    name = f"{DB_PREFIX}_{size}"
    url = create_database(name)
    engine = make_engine(url)
    served = Served(size, name, engine, {})
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        served.counts = generate(engine, end=END, **SIZES[size])
        took = time.perf_counter() - started
        print(f"== {size}: {served.counts} generated in {took:.1f}s; load {load()}", flush=True)
        port = free_port()
        served.server = start_server(url, port, args.workers, logs / f"server-{size}.log")
        served.base = f"http://127.0.0.1:{port}"
    except BaseException:
        release(served, args)
        raise
    return served


def release(served: Served, args: argparse.Namespace) -> None:
    if served.server is not None:
        stop_server(served.server)
    served.engine.dispose()
    if not args.keep_databases:
        drop_database(served.database)


def bench_sizes(sizes: list[str], wrk: str, args: argparse.Namespace, logs: Path) -> dict[str, dict[str, Any]]:
    """Every dataset served at once and measured route by route, alternating between them.

    The host's speed drifts over minutes; measuring the small and the large dataset back to back for each
    route, rather than one whole dataset after the other, keeps that drift out of the comparison.
    """
    served: list[Served] = []
    try:
        for size in sizes:
            served.append(serve_size(size, args, logs))
        for s in served:
            s.load_before = load()
            plan_routes(s)
        measured = measure_routes(served, wrk, args)
        results = {}
        for s in served:
            rows, ceiling_runs = measured[s.size]
            entry = finish(s, rows, args) | {"ceiling_runs_rps": [round(c.requests_per_s) for c in ceiling_runs]}
            if s.size == "small" and not args.no_references:
                entry["references"] = measure_references(s.engine, wrk, args, logs, entry)
            print_size(s.size, entry)
            print_references(entry)
            results[s.size] = entry | {"counts": s.counts}
        return results
    finally:
        for s in served:
            release(s, args)


def plan_routes(served: Served) -> None:
    ctx = Context()
    with httpx.Client(headers={"Accept-Encoding": "gzip, deflate, br, zstd"}, timeout=30) as client:
        for route in ROUTES:
            path = route.path(ctx)
            headers, why = probe(client, served.base, route, path)
            if headers is None:
                served.missing[route.name] = f"{path} {why}"
                print(f"   not measured on {served.size}: {route.name}: {path} {why}", flush=True)
            else:
                served.plan.append((route, path, headers))


def measure_routes(
    served: list[Served], wrk: str, args: argparse.Namespace
) -> dict[str, tuple[list[WrkResult], list[WrkResult]]]:
    """wrk against each route of each dataset: per dataset, the rows (the ceiling's mean first) and every run of
    the ceiling, whose spread shows the noise of the run.

    Every run of a route is bracketed by runs of the ceiling on the same server, and its ratio is taken to the
    mean of the two around it: the host's speed drifts by a tenth or more over the minutes of a run (run P and
    later), so a ratio to a ceiling measured only at the start and the end said as much about when a route ran
    as about the route. A row's ratio is the mean of its runs' ratios (each is kept in `ratio_runs`).

    The routes run `--rounds` times, one whole pass over them per round, the datasets' order reversed every round
    (small, large, then large, small): a stall of the host then falls on both datasets alike instead of on
    whichever came second, and each row is the mean of its runs (every run's p50 is kept in the results).
    """
    ceilings: dict[str, list[WrkResult]] = {s.size: [] for s in served}

    def ceiling(s: Served) -> WrkResult:
        route, path, headers = next(p for p in s.plan if p[0].is_ceiling)
        run = run_wrk(wrk, s.base, route.name, path, headers, args)
        ceilings[s.size].append(run)
        return run

    before = {s.size: ceiling(s) for s in served}
    runs: dict[tuple[str, str], list[WrkResult]] = {}
    ratios: dict[tuple[str, str], list[float]] = {}
    for round_number in range(args.rounds):
        for route in ROUTES:
            if route.is_ceiling:
                continue
            for s in served if round_number % 2 == 0 else reversed(served):
                planned = next((p for p in s.plan if p[0] is route), None)
                if planned is None:
                    continue
                run = run_wrk(wrk, s.base, route.name, planned[1], planned[2], args)
                after = ceiling(s)
                bracket = (before[s.size].requests_per_s + after.requests_per_s) / 2
                runs.setdefault((s.size, route.name), []).append(run)
                ratios.setdefault((s.size, route.name), []).append(run.requests_per_s / bracket)
                before[s.size] = after
    rows: dict[str, list[WrkResult]] = {}
    for s in served:
        top = combined(ceilings[s.size])
        top.ratio_to_ceiling = 1.0
        rows[s.size] = [top]
        for route in ROUTES:
            found = runs.get((s.size, route.name))
            if found:
                row = combined(found)
                row.ratio_runs = [round(r, 3) for r in ratios[(s.size, route.name)]]
                row.ratio_to_ceiling = statistics.mean(row.ratio_runs)
                rows[s.size].append(row)
    return {s.size: (rows[s.size], ceilings[s.size]) for s in served}


def measure_references(
    engine: Any, wrk: str, args: argparse.Namespace, logs: Path, entry: dict[str, Any]
) -> list[dict[str, Any]]:
    """The bare framework and Datasette, driven like our routes, as ratios of this run's ceiling."""
    ceiling = entry["routes"][0]["requests_per_s"]
    headers = {"Accept-Encoding": "gzip, br"}
    out: list[dict[str, Any]] = []
    port = free_port()
    proc = references.start(
        references.bare_command(port, args.workers), logs / "bare.log", f"http://127.0.0.1:{port}/healthz"
    )
    try:
        out.append(asdict(run_wrk(wrk, f"http://127.0.0.1:{port}", "bare FastAPI endpoint", "/healthz", headers, args)))
    finally:
        stop_server(proc)
    exe = references.datasette_executable()
    if exe is not None:
        database = logs / "bench.db"
        rows = references.export_company_months(engine, database)
        with engine.connect() as conn:
            company_id = conn.execute(text("SELECT id FROM company WHERE slug = :s"), {"s": SLUG}).scalar_one()
        port = free_port()
        path = f"/bench/company_month.json?company_id={company_id}&_sort=period&_size=max"
        proc = references.start(
            references.datasette_command(exe, database, port), logs / "datasette.log", f"http://127.0.0.1:{port}{path}"
        )
        try:
            name = f"Datasette: {SLUG}'s 120 company months as JSON ({rows:,} rows in the file)"
            out.append(asdict(run_wrk(wrk, f"http://127.0.0.1:{port}", name, path, headers, args)))
        finally:
            stop_server(proc)
    for row in out:
        row["ratio_to_ceiling"] = row["requests_per_s"] / ceiling
    return out


def print_references(entry: dict[str, Any]) -> None:
    if not entry.get("references"):
        return
    print("beside it, in the same run (÷ Minedash's ceiling):")
    for r in entry.get("references", []):
        print(
            f"  {r['route'][:60]:60} {r['requests_per_s']:8.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
            f"p99 {r['p99_ms']:7.2f} ms  {r['ratio_to_ceiling']:6.0%}"
        )


def warm_server(base: str, path: str, workers: int) -> None:
    """A typical first visit: the server's cache is warm (someone asked since the last change), the browser's
    is empty. Two requests per worker, so each worker has answered the page."""
    for _ in range(workers * 2):
        httpx.get(base + path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"}, timeout=60)


def browser_only(args: argparse.Namespace) -> int:
    """`--browser-only`: the small dataset served as a full run serves it, then only the browser's two visits,
    `--visits` times in fresh browsers (the numbers of one pair are noisy), each run and the medians printed."""
    path = args.path or next(r for r in ROUTES if r.name == "overview page").path(Context())
    print(f"machine: {os.cpu_count()} cpus; load {load()}", flush=True)
    build_precompressed()
    with tempfile.TemporaryDirectory(prefix="minedash-bench-") as tmp:
        served = serve_size("small", args, Path(tmp))
        try:
            runs = []
            for number in range(1, args.visits + 1):
                warm_server(served.base, path, args.workers)
                run = browser_figures(served.base, path)
                runs.append(run)
                for visit, b in run.items():
                    print(f"run {number}: {visit_line(visit, b)}")
                    print(f"       ms from navigation start: {phases_line(b)}", flush=True)
            if args.trace:
                browser_figures(served.base, path, trace=args.trace)
                print(f"trace of one more pair of visits (slowed by tracing): {args.trace}")
        finally:
            release(served, args)
    print(f"\nmedians of {len(runs)} runs ({path}; load {load()}):")
    for visit, m in medians(runs).items():
        print(
            f"  {visit:6} visit: {m['bytes'] / 1e3:.1f} KB, charts in view drawn after {m['charts_drawn_ms']:.0f} ms "
            f"(runs {', '.join(str(v) for v in m['charts_drawn_runs_ms'])})"
        )
        print(f"  {'':6}  ms from navigation start: {phases_line(m)}")
    return 0


def finish(served: Served, rows: list[WrkResult], args: argparse.Namespace) -> dict[str, Any]:
    """The builds right after a data change and, on the small dataset, the browser's figures."""
    ctx = Context()
    with httpx.Client(headers={"Accept-Encoding": "gzip, deflate, br, zstd"}, timeout=30) as client:
        # What Chromium sends: the build right after a data change then pays for the encoding browsers get.
        publish = Publisher(served.engine)
        changes = {
            route.name: after_change(publish, client, served.base, path, args.samples)
            for route, path, _ in served.plan
            if route.after_change
        }
    entry: dict[str, Any] = {
        "load_before": served.load_before,
        "load_after": load(),
        "routes": [asdict(r) for r in rows],
        "after_change": changes,
        "not_measured": dict(served.missing),
    }
    if served.size == "small" and not args.no_browser:
        overview = next(r for r in ROUTES if r.name == "overview page")
        warm_server(served.base, overview.path(ctx), args.workers)
        try:
            entry["browser"] = browser_figures(served.base, overview.path(ctx))
        except Exception as exc:  # a missing Chromium should not throw away the server figures
            entry["not_measured"]["browser figures"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            print(f"   not measured: browser figures: {entry['not_measured']['browser figures']}", flush=True)
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (3 s per route): a smoke test, noisier")
    parser.add_argument("--sizes", default="small,large", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--duration", type=int, default=6, help="seconds per run of a route (default 6)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each route per dataset, in alternating order (default 2)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per route (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2: one per core)")
    parser.add_argument("--samples", type=int, default=24, help="requests right after a data change (default 24)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    parser.add_argument(
        "--browser-only",
        action="store_true",
        help="only the Chromium figures, on the small dataset, --visits times (no wrk, no references)",
    )
    parser.add_argument("--visits", type=int, default=5, help="with --browser-only: pairs of visits (default 5)")
    parser.add_argument("--path", help="with --browser-only: the page to open (default: the overview)")
    parser.add_argument("--trace", type=Path, help="with --browser-only: write a Chromium trace of one more pair")
    parser.add_argument(
        "--no-references", action="store_true", help="skip the bare FastAPI endpoint and Datasette beside the app"
    )
    parser.add_argument("--keep-databases", action="store_true", help="leave the generated databases")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.samples, args.rounds = 3, 1, 5, 1
    unknown = set(args.sizes.split(",")) - set(SIZES)
    if unknown:
        parser.error(f"unknown size(s): {', '.join(sorted(unknown))}")
    if args.browser_only:
        return browser_only(args)
    wrk = ensure_wrk()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
        "machine": machine(),
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "sizes": {},
    }
    print(f"machine: {results['machine']}; load {load()}", flush=True)
    # What the image build does: brotli -11 of plotly.js once, not in a server that is being measured.
    started_assets = time.perf_counter()
    br_path, _ = build_precompressed()
    print(f"plotly.js precompressed: {br_path} ({time.perf_counter() - started_assets:.1f}s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="minedash-bench-") as tmp:
        results["sizes"] = bench_sizes(args.sizes.split(","), wrk, args, Path(tmp))
    results["p50_growth"] = print_comparison(results)
    results["targets"] = print_targets(results)
    results["seconds"] = round(time.perf_counter() - started)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nran {results['seconds']} s; results written to {args.json.resolve()}")
    return 0


def print_size(size: str, entry: dict[str, Any]) -> None:
    print(f"\n{size}: load before {entry['load_before']}, after {entry['load_after']}")
    print(f"{'route':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'÷ceiling':>9} {'runs':>11} {'errors':>7}")
    for r in entry["routes"]:
        spread = r.get("ratio_runs") or []
        runs = f"{min(spread):.0%}–{max(spread):.0%}" if spread else ""
        print(
            f"{r['route']:32} {r['requests_per_s']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
            f"{r['ratio_to_ceiling']:9.0%} {runs:>11} {r['non_2xx_3xx'] + r['socket_errors']:7d}"
        )
    ceilings = entry["ceiling_runs_rps"]
    print(
        f"(÷ceiling: each run over the ceiling's runs around it; {len(ceilings)} ceiling runs, "
        f"{min(ceilings)}–{max(ceilings)} req/s)"
    )
    for name, why in entry["not_measured"].items():
        print(f"{name:32} not measured: {why}")
    print("right after a published correction (one request at a time; the PUT's own time last):")
    for name, c in entry["after_change"].items():
        print(
            f"  {name:30} median {c['median_ms']:7.1f} ms  min {c['min_ms']:7.1f}  max {c['max_ms']:7.1f}  "
            f"({c['bytes_uncompressed'] / 1024:.0f} KiB uncompressed)  publish {c['publish_median_ms']:.1f} ms"
        )
    for visit, b in entry.get("browser", {}).items():
        print(visit_line(visit, b))
        print(f"  ms from navigation start: {phases_line(b)}")


def print_comparison(results: dict[str, Any]) -> dict[str, float]:
    sizes = results["sizes"]
    if "small" not in sizes or "large" not in sizes:
        return {}
    growth: dict[str, float] = {}
    small = {r["route"]: r for r in sizes["small"]["routes"]}
    print("\np50 from small to large (10× the rows):")
    for r in sizes["large"]["routes"]:
        before = small.get(r["route"])
        if before and before["p50_ms"] > 0:
            growth[r["route"]] = r["p50_ms"] / before["p50_ms"]
            runs = "  runs " + " / ".join(", ".join(f"{v:.2f}" for v in x.get("p50_runs_ms", [])) for x in (before, r))
            print(
                f"  {r['route']:32} {before['p50_ms']:7.2f} -> {r['p50_ms']:7.2f} ms ({growth[r['route']]:.2f}×)"
                + (runs if len(r.get("p50_runs_ms", [])) > 1 else "")
            )
    small_changes = sizes["small"]["after_change"]
    for name, c in sizes["large"]["after_change"].items():
        if name in small_changes:
            key = f"{name}, after a data change"
            growth[key] = c["median_ms"] / small_changes[name]["median_ms"]
            print(
                f"  {key:32} {small_changes[name]['median_ms']:7.1f} -> {c['median_ms']:7.1f} ms ({growth[key]:.2f}×)"
            )
    return growth


def _route(entry: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    return next((r for r in entry["routes"] if r["route"].startswith(prefix)), None)


def print_targets(results: dict[str, Any]) -> dict[str, Any]:
    """The numbers to reach, from this run (the small dataset unless said otherwise)."""
    small = results["sizes"].get("small")
    if small is None:
        return {}
    found: dict[str, tuple[str, bool] | None] = {}
    overview = _route(small, "overview page")
    api = _route(small, "monthly API, 120")
    found["overview_ratio"] = (
        (f"{overview['ratio_to_ceiling']:.0%}", overview["ratio_to_ceiling"] >= 1.0) if overview else None
    )
    found["api_ratio"] = (f"{api['ratio_to_ceiling']:.0%}", api["ratio_to_ceiling"] >= 1.0) if api else None
    changes = small["after_change"]
    change = changes.get("overview page")
    found["after_change"] = (f"{change['median_ms']:.1f} ms (median)", change["median_ms"] <= 30) if change else None
    for key, names, limit in (
        ("on_demand_overview", ON_DEMAND_OVERVIEW, 20.0),
        ("on_demand_other", ON_DEMAND_OTHER, 15.0),
    ):
        measured = {n: changes[n]["median_ms"] for n in names if n in changes}
        if measured:
            worst = max(measured, key=lambda n: measured[n])
            found[key] = (f"worst {measured[worst]:.1f} ms ({worst})", measured[worst] <= limit)
    if changes:
        put = statistics.median(t for c in changes.values() for t in c.get("publish_ms", [c["publish_median_ms"]]))
        found["publish"] = (f"{put:.1f} ms (p50 of every PUT)", put <= 40)
    browser = small.get("browser")
    if browser:
        found["first_visit"] = (f"{browser['first']['bytes'] / 1e3:.0f} KB", browser["first"]["bytes"] <= 450_000)
        found["repeat_visit"] = (f"{browser['repeat']['bytes'] / 1e3:.1f} KB", browser["repeat"]["bytes"] <= 30_000)
        found["first_drawn"] = (
            f"{browser['first']['charts_drawn_ms']} ms",
            browser["first"]["charts_drawn_ms"] <= 1200,
        )
        found["repeat_drawn"] = (
            f"{browser['repeat']['charts_drawn_ms']} ms",
            browser["repeat"]["charts_drawn_ms"] <= 500,
        )
    growth = results.get("p50_growth") or {}
    measured = {k: v for k, v in growth.items() if not k.startswith("ceiling")}
    if measured:
        worst = max(measured, key=lambda k: measured[k])
        found["p50_growth"] = (f"worst {measured[worst]:.2f}× ({worst})", measured[worst] <= 1.5)
    print("\nnumbers to reach:")
    out: dict[str, Any] = {}
    for key, label in TARGETS_TEXT.items():
        value = found.get(key)
        if value is None:
            print(f"  {label:62} not measured")
            out[key] = None
        else:
            print(f"  {label:62} {value[0]:>24}  {'ok' if value[1] else 'MISSED'}")
            out[key] = {"value": value[0], "met": value[1]}
    return out


if __name__ == "__main__":
    sys.exit(main())
