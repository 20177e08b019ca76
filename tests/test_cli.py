"""The command line: clear one-line errors, migrate and seed on a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ENVIRONMENT": "development", **env}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=full_env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("command", ["migrate", "seed-demo", "serve", "check"])
def test_unreachable_database_is_one_clear_line(command: str) -> None:
    result = _run(command, env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("minedash: error: cannot reach database")
    assert "Traceback" not in result.stderr


def test_bad_setting_is_one_clear_line() -> None:
    result = _run("migrate", env={"DATABASE_URL": "mysql://root@localhost/x"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "minedash: error: invalid settings: DATABASE_URL: Value error, must start with sqlite:/// or postgresql://"
    ]


def test_unmigrated_database_is_refused_by_seed(tmp_path: Path) -> None:
    result = _run("seed-demo", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    assert result.returncode == 1
    assert "run `minedash migrate`" in result.stderr


def test_migrate_then_seed_twice(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    migrated = _run("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    first = _run("seed-demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "rows created" in first.stdout and not first.stdout.startswith("demo data loaded: 0 rows")
    second = _run("seed-demo", env=env)
    assert second.stdout.strip() == "demo data loaded: 0 rows created, 0 updated"
    skipped = _run("seed-demo", "--if-empty", env=env)
    assert "skipped" in skipped.stdout
    assert _run("check", env=env).returncode == 0


def test_uvicorn_with_unreachable_database_stops_with_a_clear_line() -> None:
    env = {**os.environ, "ENVIRONMENT": "development", "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere"}
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "minedash: error: cannot reach database" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_logs_each_request_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's access log (with the request id) is the only one: uvicorn's own is switched off."""
    import uvicorn
    from click.testing import CliRunner

    from app import cli
    from app.cli import server

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(server, "check_database", lambda engine: None)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["access_log"] is False
