"""`minedash import`: the staff import from a shell, on its own SQLite database with the demo data."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ENVIRONMENT": "development", **env}
    command = [sys.executable, "-m", "app.cli", *args]
    return subprocess.run(command, env=full_env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("cli-import") / "db.sqlite"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    for args in (("migrate",), ("seed-demo",)):
        result = _run(*args, env=env)
        assert result.returncode == 0, result.stderr
    return env


def _db(env: dict[str, str]) -> sqlite3.Connection:
    return sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///"))


def _georgia(env: dict[str, str], period: str = "2025-06-01") -> tuple:
    with _db(env) as conn:
        return conn.execute(
            "SELECT btc_mined, uptime_pct, site_month.status FROM site_month JOIN site ON site.id = site_month.site_id"
            " WHERE site.slug = 'georgia' AND period = ?",
            (period,),
        ).fetchone()


def test_dry_run_prints_the_plan_and_saves_nothing(env: dict[str, str], tmp_path: Path) -> None:
    before = _georgia(env)
    csv = tmp_path / "f.csv"
    csv.write_text("period,site,btc_mined (BTC),uptime_pct (%)\n2025-06,georgia,CLEAR,95%\n2025-06,tennessee,,\n")
    result = _run("import", str(csv), "--company", "cleanspark", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Published figures that change: 2, 1 removed\n")
    assert f"btc_mined: {before[0]:g} -> REMOVED" in out
    assert "2025-06 · tennessee  unchanged" in out
    assert "0 new, 1 changed, 1 unchanged, 0 with errors" in out and "dry run: nothing was saved" in out
    assert _georgia(env) == before


def test_errors_exit_non_zero_listing_them(env: dict[str, str], tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text('period,site,btc_mined (BTC)\n2025-06,georgia,"1.234,5"\n2025-06,nowhere,1\n2025-07,georgia,2\n')
    result = _run("import", str(csv), "--company", "cleanspark", env=env)
    assert result.returncode == 1
    assert "line 2 (2025-06 · georgia): btc_mined: read “1.234,5”" in result.stderr
    assert "line 3 (2025-06 · nowhere): site: no site 'nowhere' in this company" in result.stderr
    assert result.stderr.rstrip().endswith("minedash: error: 2 row(s) with errors; nothing was saved")
    assert _georgia(env, "2025-07-01") is None  # the good row was not imported either
    header = _run("import", "-", "--company", "cleanspark", env=env, stdin="when,where\n")
    assert header.returncode == 1 and "no `period` column" in header.stderr
    nobody = _run("import", str(csv), "--company", "nope", env=env)
    assert nobody.returncode == 1 and "no company with slug 'nope'" in nobody.stderr


def test_apply_needs_a_reason_for_published_figures_and_audits_the_user(env: dict[str, str], tmp_path: Path) -> None:
    user = _run("create-user", "cli-editor@example.com", "--password-stdin", env=env, stdin="a long password 123\n")
    assert user.returncode == 0, user.stderr
    csv = tmp_path / "f.csv"
    csv.write_text("period,site,btc_mined (BTC),uptime_pct (%)\n2025-06,georgia,CLEAR,95%\n2025-06,tennessee,,\n")
    refused = _run("import", str(csv), "--company", "cleanspark", env=env)
    assert refused.returncode == 1 and "say why with --reason" in refused.stderr
    done = _run(
        "import", str(csv), "--company", "cleanspark", "--reason", "restated", "--as", "cli-editor@example.com", env=env
    )
    assert done.returncode == 0, done.stderr
    assert "imported: 0 new, 1 changed, 0 published" in done.stdout
    assert _georgia(env) == (None, 95, "published")
    with _db(env) as conn:
        label, reason = conn.execute("SELECT actor_label, reason FROM audit_entry ORDER BY id DESC LIMIT 1").fetchone()
    assert (label, reason) == ("cli:cli-editor@example.com", "restated")


def test_apply_reports_progress_on_standard_error(env: dict[str, str], tmp_path: Path) -> None:
    csv = tmp_path / "long.csv"
    lines = ["period,site,metric,value"]
    lines += [f"2022-{month:02d},georgia,uptime_pct,9{month % 10}%" for month in range(1, 13)]
    csv.write_text("\n".join(lines) + "\n")
    done = _run("import", str(csv), "--company", "cleanspark", "--reason", "Uptime from the annual report", env=env)
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("applying: ")]
    # A line at each tenth of the way and one at the end; stdout keeps the plan and the outcome only.
    assert progress[-1] == "applying: 12 of 12 rows (100%)" and 2 <= len(progress) <= 11
    assert "committing" in done.stderr and "applying" not in done.stdout
