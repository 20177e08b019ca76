"""Servers measured beside Minedash in the same run, so its figures read against known quantities.

- A bare FastAPI endpoint: the framework and uvicorn with nothing of ours (no middleware, no database),
  started with the same command line and workers. The distance to our own ceiling is what our middleware
  stack costs on every request.
- Datasette, a general-purpose data-publishing tool, serving the same company months as JSON from a SQLite
  copy of the benchmark database. It runs in its own virtualenv (`.venv-datasette`, made on first use), so
  its dependencies never touch the app's.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
DATASETTE_VENV = ROOT / ".venv-datasette"
DATASETTE_REQUIREMENT = "datasette>=0.65,<2"


def create_bare_app() -> FastAPI:
    """The framework's floor: one route, no middleware, no database."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def uvicorn_command(factory: str, port: int, workers: int, *extra: str) -> list[str]:
    """uvicorn serving an app factory on loopback, as the container runs it."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *extra,
    ]


def bare_command(port: int, workers: int) -> list[str]:
    return uvicorn_command("bench.references:create_bare_app", port, workers, "--no-access-log")


def datasette_executable() -> Path | None:
    """Datasette from its own virtualenv, installed on first use; None (and why, printed) if that fails."""
    exe = DATASETTE_VENV / "bin" / "datasette"
    if exe.exists():
        return exe
    print(f"installing Datasette into {DATASETTE_VENV.name} (first run only)", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [str(DATASETTE_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", DATASETTE_REQUIREMENT],
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        print(f"Datasette could not be installed ({exc}); it is left out of this run", flush=True)
        return None
    return exe if exe.exists() else None


# Postgres column types as SQLite declares them: typed columns, so Datasette's `?company_id=1` filter matches.
_SQLITE_TYPES = {
    "integer": "INTEGER",
    "bigint": "INTEGER",
    "smallint": "INTEGER",
    "boolean": "INTEGER",
    "numeric": "REAL",
}


def export_company_months(engine: Any, path: Path) -> int:
    """Copy `company` and `company_month` into a SQLite file with their keys and the lookup index; rows copied.

    Figures become REAL, as a SQLite export of them usually would: Datasette then sends JSON numbers.
    """
    path.unlink(missing_ok=True)
    with engine.connect() as conn:
        companies = conn.execute(text("SELECT id, slug, name, ticker FROM company ORDER BY id")).all()
        columns = conn.execute(
            text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'company_month' ORDER BY ordinal_position"
            )
        ).all()
        names = [name for name, _ in columns]
        months = conn.execute(text(f"SELECT {', '.join(names)} FROM company_month ORDER BY id")).all()
    declared = ", ".join(f"{name} {_SQLITE_TYPES.get(kind, 'TEXT')}" for name, kind in columns)
    target = sqlite3.connect(path)
    try:
        target.execute("CREATE TABLE company (id INTEGER PRIMARY KEY, slug TEXT UNIQUE, name TEXT, ticker TEXT)")
        target.executemany("INSERT INTO company VALUES (?, ?, ?, ?)", [tuple(r) for r in companies])
        keys = "FOREIGN KEY (company_id) REFERENCES company(id), PRIMARY KEY (id)"
        target.execute(f"CREATE TABLE company_month ({declared}, {keys})")
        target.execute("CREATE UNIQUE INDEX ix_company_month ON company_month (company_id, period)")
        placeholders = ", ".join("?" for _ in names)
        target.executemany(
            f"INSERT INTO company_month VALUES ({placeholders})",
            [tuple(_sqlite_value(v) for v in r) for r in months],
        )
        target.commit()
    finally:
        target.close()
    return len(months)


def _sqlite_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)  # dates and timestamps as ISO text


def datasette_command(exe: Path, database: Path, port: int) -> list[str]:
    # Immutable mode: the file is read-only, as published data is, which lets Datasette skip its checks.
    # Facet suggestions off: they run extra queries on every table request, which a JSON client never reads.
    return [
        str(exe),
        "serve",
        "-i",
        str(database),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--setting",
        "suggest_facets",
        "off",
    ]


def start(
    cmd: list[str], log_path: Path, ready_url: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    """Start a server in its own process group and wait until `ready_url` answers 200 (at most a minute)."""
    log = log_path.open("wb")
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env or os.environ.copy(), start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}; see {log_path}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    raise RuntimeError(f"{cmd[0]} did not become ready; see {log_path}")
