"""The process a worker hands its renders after a publish to, so they do not run in the readers' interpreter.

A render after a publish (app.cache.publish_hooks) is tens of milliseconds of pure Python. On a thread of the
worker that answered the publish it holds that worker's GIL half the time, and every request the worker
answers meanwhile (the readers who come right after a release) takes about twice as long. In a process of its
own it runs on another core, or at least in the operating system's fair share rather than CPython's
switching interval.

Each worker starts one render process when it starts (`RenderProcess.start`, from the app's lifespan) or else
the first time it has something to render (`python -m app.cli.render_worker`), with the worker's environment, and
talks to it over two pipes: a job per line (the database URL, the hooks by import path, the companies), and "done"
back once the hooks have run and the pages are stored. The worker's render thread waits for that reply, so
`publish_hooks.rendering` and `wait_for` keep meaning what they meant. The process ends when its worker does (its
job pipe reaches end of file).

Only hooks that can be imported by name run there (a test's closure cannot), and only against a database
another process can open (not an in-memory SQLite); otherwise, and whenever the process cannot be started or
dies, the render runs on the thread as before: a page rendered late is never wrong, only later.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pkgutil
import select
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from sqlalchemy import Engine

from app.runtime import freeze_startup_objects
from app.store.db import is_in_memory, make_engine

log = logging.getLogger("minedash.render_process")

WORKER_MODULE = "app.cli.render_worker"
DONE = b"done\n"
# A render takes well under a second; one that takes this long is stuck.
RENDER_TIMEOUT_SECONDS = 120.0

# Runs the named hooks for the companies against a database (app.cache.publish_hooks.run_hooks).
HookRunner = Callable[[Engine, frozenset[int], Mapping[str, Callable[..., Any]]], None]


def import_path(hook: Callable[..., Any]) -> str | None:
    """`module:qualname` when that path leads back to this very function, else None (a closure, a lambda)."""
    module, qualname = getattr(hook, "__module__", None), getattr(hook, "__qualname__", "")
    if not module or not qualname or "<" in qualname:
        return None
    path = f"{module}:{qualname}"
    try:
        return path if pkgutil.resolve_name(path) is hook else None
    except (ImportError, AttributeError, ValueError):
        return None


def shareable_url(engine: Engine) -> str | None:
    """The engine's URL, password included, when another process can open the same database."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.url.get_backend_name() == "sqlite" and is_in_memory(url):
        return None
    return url


class RenderProcess:
    """One worker's render process: started ahead or on first use, started again after it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._replies: IO[bytes] | None = None

    def start(self, url: str, hooks: Mapping[str, str]) -> bool:
        """Start the process and have it import the hooks' modules and connect, ahead of the first publish, and wait
        for that; False if it could not. Started on first use instead, the first reader after a worker's first
        publish waited about a second longer: for a Python process to start and import the app (every run of the
        benchmark showed it as the slowest read after a change)."""
        return self.run(url, hooks, frozenset())

    def run(self, url: str, hooks: Mapping[str, str], companies: frozenset[int]) -> bool:
        """Run the hooks for these companies there and wait for them; False if the process could not. No companies:
        only get ready (see `start`)."""
        job = json.dumps({"url": url, "hooks": dict(hooks), "companies": sorted(companies)}).encode() + b"\n"
        with self._lock:
            # A process that died since its last job (killed, out of memory) gets one fresh start.
            for _ in range(2):
                try:
                    proc, replies = self._started()
                    assert proc.stdin is not None
                    proc.stdin.write(job)
                    proc.stdin.flush()
                    ready, _, _ = select.select([replies], [], [], RENDER_TIMEOUT_SECONDS)
                    if not ready:
                        # A render stuck (a lock never granted, a runaway loop) would hold every later publish of
                        # this worker behind it: the process goes, and the readers build those pages themselves.
                        log.error("render process timed out", extra={"fields": {"seconds": RENDER_TIMEOUT_SECONDS}})
                        self._stop(kill=True)
                        return True
                    if replies.readline() == DONE:
                        return True
                    raise OSError(f"the render process ended (exit status {proc.poll()})")
                except OSError as exc:
                    log.warning("render process failed", extra={"fields": {"error": str(exc)}})
                    self._stop()
        return False

    def _started(self) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
        if self._proc is not None and self._replies is not None and self._proc.poll() is None:
            return self._proc, self._replies
        read_end, write_end = os.pipe()
        try:
            # Its own pipe for replies: the child's standard output and error stay the worker's, for its logs.
            proc = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, str(write_end)],
                stdin=subprocess.PIPE,
                pass_fds=(write_end,),
                close_fds=True,
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._proc, self._replies = proc, os.fdopen(read_end, "rb")
        return proc, self._replies

    def _stop(self, *, kill: bool = False) -> None:
        proc, replies = self._proc, self._replies
        self._proc = self._replies = None
        if replies is not None:
            replies.close()
        if proc is not None:
            if kill:
                proc.kill()
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        with self._lock:
            self._stop()


def serve(jobs: IO[bytes], replies: IO[bytes], run_hooks: HookRunner) -> None:
    """The render process's loop: each job's hooks run against its database, then "done"; until end of input."""
    engines: dict[str, Engine] = {}
    frozen = False
    try:
        for line in jobs:
            job = json.loads(line)
            engine = engines.get(job["url"])
            if engine is None:
                engine = engines[job["url"]] = make_engine(job["url"])
            hooks = {name: pkgutil.resolve_name(path) for name, path in job["hooks"].items()}
            companies = frozenset(int(c) for c in job["companies"])
            if companies:
                run_hooks(engine, companies, hooks)
            else:
                # Getting ready (RenderProcess.start): the modules are imported now; a connection is opened.
                engine.connect().close()
            replies.write(DONE)
            replies.flush()
            if not frozen:
                # The first job imported the hooks' modules and connected: what is alive now stays (app.runtime).
                freeze_startup_objects()
                frozen = True
    finally:
        for engine in engines.values():
            engine.dispose()
