"""How many concurrent readers and writers the SQLite default serves: `python -m bench.sqlite_load`.

One `uvicorn` worker (as `make run` serves) on a temporary SQLite file with the demo data. wrk drives the
readers (the monthly API with gzip, the overview with brotli); Python threads drive the writers, each
replacing its own month over and over with the ETag of its last write (drafts, or `--publish`, which renders
the overview after each write). Prints requests/s and latency for readers alone, writers alone, and both at
once. Numbers depend on the machine and on what else runs on it; the README quotes one run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy.orm import Session

from app.demo.loader import seed_demo
from app.domain.actors import Actor
from app.store import migrate
from app.store.db import begin_writing, make_engine
from app.store.queries.tokens import create_token
from bench.run import ensure_wrk, free_port, start_server, stop_server

MONTHLY = "/api/v1/companies/cleanspark/monthly"
PAGE = "/companies/cleanspark"


def prepare(path: Path) -> tuple[str, str]:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        begin_writing(session)
        seed_demo(session=session)
        token = create_token(session=session, name="bench", scope="write", actor=Actor.system("bench")).secret
    engine.dispose()
    return url, token


def wrk(binary: str, base: str, path: str, connections: int, seconds: int, encoding: str) -> str:
    command = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    out = subprocess.run(
        [*command, "-H", f"Accept-Encoding: {encoding}", base + path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    maximum = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return (
        f"{path} c={connections}: {float(rps.group(1)) if rps else 0:,.0f} req/s, p50 {lat.get('50')}, "
        f"p99 {lat.get('99')}, max {maximum.group(1) if maximum else '?'}, non-2xx {bad.group(1) if bad else 0}"
        + (f", socket errors {errors.group(1)}" if errors else "")
    )


def writers(base: str, token: str, count: int, seconds: float, publish: bool, first: int) -> str:
    """`count` threads each replacing its own company month (the `first`-th and on) for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    auth = {"Authorization": f"Bearer {token}"}
    query = "?publish=true" if publish else ""

    def run(n: int) -> None:
        # Months before the demo data starts, one per writer and run: 2010-01, 2010-02, …
        month = first + n
        url = f"{base}{MONTHLY}/{2010 + month // 12}-{month % 12 + 1:02d}{query}"
        with httpx.Client(timeout=30, trust_env=False) as http:
            etag = None
            value = 0
            while time.monotonic() < deadline:
                value += 1
                headers = {**auth, **({"If-Match": etag} if etag else {})}
                body = {"btc_mined_total": str(value), "reason": "bench"}
                began = time.perf_counter()
                response = http.put(url, json=body, headers=headers)
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                etag = response.headers.get("etag", etag)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else float("nan")
    return (
        f"{count} writer(s){' publishing' if publish else ''}: {len(ordered) / seconds:,.0f} writes/s, "
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms, "
        f"statuses {dict(sorted(statuses.items()))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    binary = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="minedash-sqlite-bench-") as tmp:
        url, token = prepare(Path(tmp) / "bench.db")
        port = free_port()
        server = start_server(url, port, 1, Path(tmp) / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            print("readers alone")
            for connections in (32, 64, 128):
                print(" ", wrk(binary, base, MONTHLY, connections, args.seconds, "gzip"))
            print(" ", wrk(binary, base, PAGE, 64, args.seconds, "br"))
            print("writers alone")
            for first, count in ((0, 1), (1, 4), (5, 16)):
                print(" ", writers(base, token, count, args.seconds, publish=False, first=first))
            print(" ", writers(base, token, 4, args.seconds, publish=True, first=21))
            print("64 readers beside 4 publishing writers")
            result: dict[str, str] = {}
            thread = threading.Thread(
                target=lambda: result.update(w=writers(base, token, 4, args.seconds, publish=True, first=25))
            )
            thread.start()
            print(" ", wrk(binary, base, MONTHLY, 64, args.seconds, "gzip"))
            thread.join()
            print(" ", result["w"])
            log = (Path(tmp) / "server.log").read_text(errors="replace")
            print(
                "server log: 'database is locked' x",
                log.count("database is locked"),
                ", 5xx-like lines x",
                log.count('"status": 5'),
            )
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
