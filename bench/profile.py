"""Profile one route as built right after a data change (a cache miss), through the whole app stack.

    python -m bench.profile                       # generates the small dataset in a scratch database
    python -m bench.profile --database-url URL --path /api/v1/companies/miner-000/monthly --html out.html

The change is written straight into the database (bench.run.publish_change), so the app renders nothing
ahead of the request: this profiles the whole build, the cost a publish pays for the company's overview
(app.cache.page_store) and a view not rendered ahead pays on its first request.

Sync routes normally run in a worker thread, out of a sampling profiler's sight; here every thread hand-off
runs inline on the main thread, so pyinstrument sees the route, the queries and the template.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any


def _inline_threads() -> None:
    import anyio.to_thread

    async def run_sync(func: Any, *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


async def _requests(app: Any, path: str, count: int, engine: Any) -> list[float]:
    import httpx2 as httpx

    from bench.run import publish_change

    times = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for turn in range(count):
            publish_change(engine, turn=turn)
            started = time.perf_counter()
            response = await client.get(path, headers={"Accept-Encoding": "gzip, br"})
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing benchmark database (default: generate the small one)")
    parser.add_argument("--path", default="/companies/miner-000")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    parser.add_argument("--no-profile", action="store_true", help="only time the requests (no profiler overhead)")
    parser.add_argument("--keep-database", action="store_true", help="leave the generated database for a next run")
    args = parser.parse_args()

    from app.store.db import make_engine
    from bench.run import DB_PREFIX, bench_database

    with bench_database(args.database_url, f"{DB_PREFIX}_profile", keep=args.keep_database) as url:
        engine = make_engine(url)
        os.environ.update({"DATABASE_URL": url, "ENVIRONMENT": "production", "LOG_LEVEL": "warning"})
        os.environ.setdefault("SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")
        try:
            from pyinstrument import Profiler

            from app.main import create_app

            _inline_threads()
            app = create_app()
            asyncio.run(_requests(app, args.path, 3, engine))  # warm: imports, template compilation, pool
            if args.no_profile:
                times = asyncio.run(_requests(app, args.path, args.requests, engine))
                print(f"{args.path}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms")
                return 0
            profiler = Profiler(interval=0.0005)
            profiler.start()
            times = asyncio.run(_requests(app, args.path, args.requests, engine))
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            print(f"{args.path}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms (profiler on)")
            if args.html:
                args.html.write_text(profiler.output_html())
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
