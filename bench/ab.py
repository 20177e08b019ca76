"""Two checkouts of the app side by side on one database: each read right after a correction, alternated.

    python -m bench.ab /path/to/before /path/to/after "/companies/miner-000?site=site-00"
    python -m bench.ab BEFORE AFTER PATH... --pairs 40 --database-url URL

On a host whose speed drifts by a third within minutes, two full runs of `bench.run` a quarter of an hour apart
cannot tell a 1 ms change from the drift. Here both versions serve at once (`minedash serve --workers 2` each,
started from its own checkout), and each turn publishes a correction through one server's write API and times
that server's next read, then does the same on the other, the order swapped every turn: both versions take the
same spells of the host, and the paired differences say which is faster. The other server idles meanwhile.

Both checkouts must expect the same migration: each server refuses a database at another one. A checkout without
its own `.venv` runs with this interpreter. With no `--database-url`, the small dataset is generated in a scratch
database and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from bench.run import DB_PREFIX, Publisher, bench_database, free_port, start_server, stop_server


@dataclass
class Version:
    checkout: Path
    base: str = ""
    server: subprocess.Popen[bytes] | None = None
    times: dict[str, list[float]] = field(default_factory=dict)


def serve(version: Version, database_url: str, workers: int, logs: Path) -> None:
    """The checkout's app as the bench serves this one (bench.run.start_server), from its own directory."""
    port = free_port()
    log = logs / f"ab-{version.checkout.name}-{port}.log"
    version.server = start_server(database_url, port, workers, log, checkout=version.checkout)
    version.base = f"http://127.0.0.1:{port}"


def measure(versions: list[Version], publish: Publisher, path: str, pairs: int) -> None:
    with httpx.Client(headers={"Accept-Encoding": "gzip, deflate, br, zstd"}, timeout=30) as client:
        for version in versions:  # each server's first builds (imports, templates, its render process) not timed
            for _ in range(4):
                publish(client, version.base)
                client.get(version.base + path).raise_for_status()
            version.times[path] = []
        for turn in range(pairs):
            for version in versions if turn % 2 == 0 else versions[::-1]:
                publish(client, version.base)
                started = time.perf_counter()
                response = client.get(version.base + path)
                version.times[path].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()


def report(versions: list[Version], path: str) -> None:
    before, after = (v.times[path] for v in versions)
    paired = [b - a for a, b in zip(before, after, strict=True)]
    faster = sum(d < 0 for d in paired)
    print(
        f"{path}\n  before {statistics.median(before):6.1f} ms  after {statistics.median(after):6.1f} ms  "
        f"(medians of {len(before)})  after − before, paired: median {statistics.median(paired):+.1f} ms, "
        f"after faster in {faster} of {len(paired)}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path, help="checkout of the code to compare against")
    parser.add_argument("after", type=Path, help="checkout of the changed code")
    parser.add_argument("paths", nargs="+", help="what to read right after each correction")
    parser.add_argument("--pairs", type=int, default=30, help="reads per version and path (default 30)")
    parser.add_argument("--workers", type=int, default=2, help="workers per server (default 2)")
    parser.add_argument("--database-url", help="a database both checkouts can serve (default: a scratch one)")
    args = parser.parse_args()

    from app.store.db import make_engine

    versions = [Version(args.before.resolve()), Version(args.after.resolve())]
    logs = Path(os.environ.get("TMPDIR", "/tmp"))
    with bench_database(args.database_url, f"{DB_PREFIX}_ab") as url:
        engine = make_engine(url)
        try:
            for version in versions:
                serve(version, url, args.workers, logs)
            publish = Publisher(engine)
            for path in args.paths:
                measure(versions, publish, path, args.pairs)
                report(versions, path)
        finally:
            for version in versions:
                if version.server is not None:
                    stop_server(version.server)
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
