"""`minedash serve --workers N`: a listening socket per worker, connections spread over them, workers replaced.

The processes and sockets are read from /proc (Linux: the only platform where `serve` uses these sockets).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cli.workers import port_socket, reuse_port_available

pytestmark = pytest.mark.skipif(not reuse_port_available(), reason="serve uses uvicorn's workers on this platform")

LISTEN, ESTABLISHED = "0A", "01"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sockets_of_one_port_listen_side_by_side() -> None:
    first = port_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = port_socket("127.0.0.1", port)
    try:
        first.listen()
        second.listen()
        # A plain socket cannot join them: only sockets that all asked to share the port may.
        with socket.socket() as plain, pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
    finally:
        first.close()
        second.close()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _tcp_inodes(port: int, state: str) -> set[int]:
    """Inodes of the IPv4 sockets on 127.0.0.1:`port` in `state`."""
    local = f"0100007F:{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == state:
            inodes.add(int(fields[9]))
    return inodes


def _workers(supervisor: int, port: int) -> dict[int, set[int]]:
    """Each worker process listening on the port, with its socket inodes."""
    listening = _tcp_inodes(port, LISTEN)
    out = {}
    for child in _children(supervisor):
        try:
            inodes = _socket_inodes(child)
        except OSError:  # gone meanwhile
            continue
        if inodes & listening:
            out[child] = inodes
    return out


def _get(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _wait(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    env = {**os.environ, "ENVIRONMENT": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    env.pop("LOG_LEVEL", None)
    migrated = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, capture_output=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: len(_workers(proc.pid, port)) == 2, "two workers listening")
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_each_worker_listens_and_gets_connections(served: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = served
    workers = _workers(proc.pid, port)
    assert len(workers) == 2
    # Two listening sockets, one per worker (uvicorn's workers share one).
    listening = _tcp_inodes(port, LISTEN)
    assert all(len(inodes & listening) == 1 for inodes in workers.values())
    assert len(listening) == 2
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
    try:
        for sock in connections:
            assert b'{"status":"ok"}' in _get(sock)
        established = _tcp_inodes(port, ESTABLISHED)
        served_by = Counter(pid for pid in workers for _ in _socket_inodes(pid) & established)
        # Spread by a hash of each connection's addresses: all 32 on one worker has a chance of one in 2^31.
        assert sorted(served_by) == sorted(workers), served_by
        assert sum(served_by.values()) == 32
    finally:
        for sock in connections:
            sock.close()


def test_a_dead_worker_is_replaced_and_all_stop_on_sigterm(served: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = served
    before = set(_workers(proc.pid, port))
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    _wait(lambda: len(set(_workers(proc.pid, port)) - before) == 1, "a new worker listening in place of the dead one")
    assert victim not in _workers(proc.pid, port)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        assert b"200 OK" in _get(sock)
    remaining = set(_workers(proc.pid, port))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    # The workers stopped with their supervisor, and nothing listens on the port any more.
    assert not [pid for pid in remaining if Path(f"/proc/{pid}").exists() and _is_not_zombie(pid)]
    assert not _tcp_inodes(port, LISTEN)


def _is_not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_the_workers_stop_when_their_supervisor_is_killed(served: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = served
    workers = set(_workers(proc.pid, port))
    proc.kill()  # no chance to stop them itself
    proc.wait()
    _wait(lambda: not [pid for pid in workers if _is_not_zombie(pid)], "the orphaned workers gone")
    _wait(lambda: not _tcp_inodes(port, LISTEN), "nothing listening on the port")
