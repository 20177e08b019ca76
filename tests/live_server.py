"""A real `minedash serve` in a subprocess, on a free loopback port, against a database of its own.

For tests that need real concurrency (several connections, the event loop, the thread pool, SQLite's file
locks), which in-process TestClient threads do not give. The database is a temporary SQLite file, or a
temporary database on the Postgres server that DATABASE_URL names, created here and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from sqlalchemy.engine import make_url

# A request slower than this counts as frozen. Generous on purpose: this is a correctness check against
# requests waiting for each other, not a benchmark (bench/ measures speed).
SLOW_SECONDS = 5.0


# The server is started through this, so that SIGUSR1 writes every thread's stack to its log: when a request
# hangs, the failure shows where the server was at that moment, not only that it was slow.
_LAUNCHER = (
    "import faulthandler, runpy, signal, sys; faulthandler.register(signal.SIGUSR1, all_threads=True); "
    "sys.argv[0] = 'minedash'; runpy.run_module('app.cli', run_name='__main__')"
)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    token: str
    log: Path
    pid: int = 0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        return Path(make_url(self.database_url).database or "")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def dump_stacks(self) -> None:
        """Have the server write every thread's stack to its log (see _LAUNCHER)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGUSR1)
            time.sleep(0.5)

    def log_tail(self, chars: int = 12_000) -> str:
        return f"\n--- the server's log, last {chars} characters ---\n{self.log_text()[-chars:]}"


@contextlib.contextmanager
def temporary_database(configured_url: str, directory: Path) -> Iterator[str]:
    """A fresh, empty database of the configured kind; a Postgres one is dropped on the way out."""
    if configured_url.startswith("sqlite"):
        yield f"sqlite:///{directory / 'live.db'}"
        return
    import psycopg
    from psycopg import sql

    url = make_url(configured_url)
    name = f"minedash_live_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"minedash {' '.join(args)} failed: {result.stderr}"
    return result.stdout


@contextlib.contextmanager
def live_server(database_url: str, log: Path) -> Iterator[LiveServer]:
    """Migrate and seed the demo data, create a write token, serve; stopped (by its own pid) on the way out."""
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning"}
    _cli(env, "migrate")
    _cli(env, "seed-demo")
    token = _cli(env, "create-token", "--name", "live-test", "--scope", "write").strip()
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(base_url, process, log)
        yield LiveServer(base_url=base_url, database_url=database_url, token=token, log=log, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {log.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"the server did not answer within 30 s: {log.read_text(errors='replace')}")


@dataclass(frozen=True)
class Outcome:
    """One request: its path, its status (or the error that stood for one) and how long it took."""

    path: str
    status: int | str
    seconds: float


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=SLOW_SECONDS * 3, trust_env=False)


def hammer(
    server: LiveServer,
    paths: Sequence[str],
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    until: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """`clients` threads, each with its own keep-alive connection, GET `paths` in turn until `seconds` pass
    (or `until()` says so) or `max_requests` were sent in all."""
    outcomes: list[Outcome] = []
    # The clock starts once every client is connected and ready (making 64 clients takes a while).
    deadline = [float("inf")]

    def go() -> None:
        deadline[0] = time.monotonic() + seconds

    start = threading.Barrier(clients, action=go)
    dumped = threading.Event()

    def done() -> bool:
        return time.monotonic() >= deadline[0] or len(outcomes) >= max_requests or (until is not None and until())

    def run(offset: int) -> None:
        with client(server) as http:
            start.wait(timeout=30)
            turn = offset
            while not done():
                path = paths[turn % len(paths)]
                turn += 1
                began = time.perf_counter()
                try:
                    status: int | str = http.get(path, headers={"Accept-Encoding": "br, gzip"}).status_code
                except httpx.HTTPError as exc:
                    status = repr(exc)
                outcome = Outcome(path, status, time.perf_counter() - began)
                outcomes.append(outcome)
                if _is_bad(outcome) and not dumped.is_set():
                    dumped.set()
                    server.dump_stacks()  # while the requests that hang still hang

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + SLOW_SECONDS * 4 + 60)
    assert not any(t.is_alive() for t in threads), "a client thread never finished"
    return outcomes


def parallel(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`count` calls at once (released together by a barrier), each in its own thread; their responses."""
    results: list[httpx.Response | BaseException | None] = [None] * count
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait(timeout=30)
        try:
            results[n] = call(n)
        except BaseException as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SLOW_SECONDS * 6 + 30)
    failures = [r for r in results if not isinstance(r, httpx.Response)]
    assert not failures, f"requests failed: {failures}"
    return [r for r in results if isinstance(r, httpx.Response)]


def summary(outcomes: Sequence[Outcome]) -> str:
    """For assertion messages: the bad outcomes first, then counts."""
    bad = [o for o in outcomes if _is_bad(o)]
    slowest = max((o.seconds for o in outcomes), default=0.0)
    return f"{len(outcomes)} requests, slowest {slowest:.2f} s, bad: {bad[:10]}"


def _is_bad(outcome: Outcome) -> bool:
    return not isinstance(outcome.status, int) or outcome.status >= 500 or outcome.seconds > SLOW_SECONDS
