"""Several uvicorn workers on one port, each listening on a socket of its own (SO_REUSEPORT).

uvicorn's own `--workers` shares one listening socket between the workers, and asyncio's accept takes every
connection waiting when a worker wakes up: a burst of new connections (a proxy filling its pool of keep-alive
connections, a load test) can all land on one worker while the others idle for as long as those connections
live. Seen with two workers on two cores: a load test's sixteen connections all on one worker in one run of six,
at 59% of the requests per second of the runs that spread them. With a listening socket per worker, the kernel
hands each new connection to one of them by a hash of its addresses, so they spread whoever wakes first.

The supervisor is small on purpose: it starts the workers, starts another when one dies, stops them all on
SIGTERM or SIGINT, and stops when a worker fails before serving (the next one would fail the same way). Where
the platform has no such sockets, `serve` uses uvicorn's workers instead.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

# uvicorn configured this logger in the supervisor, as its own supervisor uses it; the app configures its own in
# each worker.
log = logging.getLogger("uvicorn.error")

# How long the workers get to finish their requests and lifespans after SIGTERM before they are killed.
STOP_SECONDS = 30.0
# prctl(2): the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
# How often the supervisor looks for a worker that died.
WATCH_SECONDS = 0.5


def reuse_port_available() -> bool:
    """Linux spreads connections over the sockets sharing a port; other systems may hand them all to one."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that other sockets of this user may bind too (not listening yet)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def run_worker(config: uvicorn.Config, port: int, supervisor: int) -> None:
    """One worker (in its own process): its own socket on the shared port, then uvicorn's server on it."""
    _stop_with(supervisor)
    # The configuration came pickled, without the logging its constructor set up in the supervisor.
    config.configure_logging()
    try:
        sock = port_socket(config.host, port)
    except OSError as exc:
        log.error("worker cannot bind %s:%d: %s", config.host, port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


def _stop_with(supervisor: int) -> None:
    """SIGTERM to this worker when its supervisor dies, however it dies (killed, out of memory): a worker left
    behind would keep serving the port, with nobody to stop it or start the next release's workers."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the request above was in place
        sys.exit(0)


class Supervisor:
    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.stopping = threading.Event()
        self.port: int | None = None
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or pools

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT (0), or until a worker fails to start (1)."""
        # Bound first by the supervisor, never listened on: a port already taken fails here, once and clearly, and
        # port 0 becomes the one port every worker binds. A socket that does not listen gets no connections.
        holder = port_socket(self.config.host, self.config.port)
        self.port = holder.getsockname()[1]
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._stop)
        failed = False
        processes = [self._start() for _ in range(self.workers)]
        log.info("serving on %s:%d with %d workers", self.config.host, self.port, self.workers)
        try:
            while not self.stopping.wait(WATCH_SECONDS):
                for index, process in enumerate(processes):
                    if process.is_alive():
                        continue
                    if process.exitcode == STARTUP_FAILURE:
                        log.error("worker %s failed to start; stopping", process.pid)
                        failed = True
                        self.stopping.set()
                        break
                    log.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
                    processes[index] = self._start()
        finally:
            self._stop_all(processes)
            holder.close()
        return 1 if failed else 0

    def _start(self) -> BaseProcess:
        process = self._context.Process(
            target=run_worker, args=(self.config, self.port, os.getpid()), name="minedash-worker"
        )
        process.start()
        return process

    def _stop(self, number: int, frame: FrameType | None) -> None:
        self.stopping.set()

    def _stop_all(self, processes: list[BaseProcess]) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight and the lifespan
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                log.warning("worker %s did not stop within %.0f s; killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
