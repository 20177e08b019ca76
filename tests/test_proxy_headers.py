"""X-Forwarded-For is believed only from FORWARDED_ALLOW_IPS (no one by default), checked on a real uvicorn:
a forged header from an untrusted peer counts against the peer's own address in the per-IP login limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from app.cli.server import proxy_options
from app.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
PER_IP = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def _server(tmp_path: Path, forwarded_allow_ips: str | None) -> Iterator[str]:
    """`minedash serve` on its own SQLite file, with the per-IP login limit at PER_IP failures."""
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.db'}",
        "LOGIN_MAX_FAILURES_PER_IP": str(PER_IP),
        "LOG_LEVEL": "warning",
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    if forwarded_allow_ips is not None:
        env["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    migrate = _cli("migrate", env=env)
    assert migrate.wait(timeout=60) == 0, migrate.stderr.read() if migrate.stderr else ""
    port = _free_port()
    server = _cli("serve", "--port", str(port), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    stderr = server.stderr.read() if server.stderr else ""
                    raise AssertionError(f"server did not start: {stderr}") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _failed_login(base: str, email: str, forwarded_for: str) -> int:
    body = urllib.parse.urlencode({"email": email, "password": "not the password"}).encode()
    request = urllib.request.Request(f"{base}/staff/login", data=body, headers={"X-Forwarded-For": forwarded_for})
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_forged_forwarded_for_counts_against_the_peer(tmp_path: Path) -> None:
    with _server(tmp_path, forwarded_allow_ips=None) as base:
        # Each attempt claims another client and another account: only the peer's address ties them.
        statuses = [_failed_login(base, f"user{i}@example.com", f"203.0.113.{i}") for i in range(PER_IP + 1)]
    assert statuses == [400] * PER_IP + [429]


def test_the_named_proxy_is_believed(tmp_path: Path) -> None:
    with _server(tmp_path, forwarded_allow_ips="127.0.0.1") as base:
        statuses = [_failed_login(base, f"user{i}@example.com", f"203.0.113.{i}") for i in range(PER_IP + 1)]
    assert statuses == [400] * (PER_IP + 1)  # four clients behind the proxy, one failure each


def test_uvicorn_gets_no_trusted_proxy_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert proxy_options(Settings(_env_file=None)) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", " 10.0.0.2, 172.16.0.0/12 ")
    assert proxy_options(Settings(_env_file=None)) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.2,172.16.0.0/12",
    }
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "proxy.internal")
    with pytest.raises(SettingsError, match="FORWARDED_ALLOW_IPS"):
        load_settings()


def test_image_and_compose_trust_no_proxy_by_default() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--forwarded-allow-ips='*'" not in dockerfile and "forwarded-allow-ips=*" not in dockerfile
    assert 'FORWARDED_ALLOW_IPS=""' in dockerfile
    # The image runs `minedash serve`, which takes the trusted proxies from FORWARDED_ALLOW_IPS (proxy_options, above)
    # rather than a flag of its command line.
    command = dockerfile.split("\nCMD ", 1)[1]
    assert "minedash serve" in command and "forwarded-allow-ips" not in command
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in ("migrate", "web"):
        assert compose["services"][service]["environment"]["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-}"
