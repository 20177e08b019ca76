"""`minedash create-user`: the first admin from the command line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("cli") / "users.db"
    environment = {**os.environ, "ENVIRONMENT": "development", "DATABASE_URL": f"sqlite:///{db}"}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=environment, check=True, capture_output=True)
    return environment


def _create(env: dict[str, str], *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "create-user", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _rows(env: dict[str, str]) -> list[tuple]:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT email, role, is_active, password_hash FROM app_user ORDER BY id").fetchall()


def test_create_admin_from_stdin(env: dict[str, str]) -> None:
    result = _create(
        env, "Boss@Example.com", "--role", "admin", "--password-stdin", stdin="  a passphrase with spaces \n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "created admin boss@example.com"
    email, role, active, hashed = _rows(env)[0]
    assert (email, role, active) == ("boss@example.com", "admin", 1)
    from app.http.auth import verify_password

    assert hashed.startswith("$argon2id$")
    assert verify_password("  a passphrase with spaces ", hashed)  # only the line ending was removed
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        actor, action = conn.execute("SELECT actor_label, action FROM audit_entry WHERE entity = 'app_user'").fetchone()
    assert (actor, action) == ("cli:create-user", "create")


def test_existing_email_is_a_clear_error(env: dict[str, str]) -> None:
    _create(env, "dup@example.com", "--password-stdin", stdin="long enough password\n")
    result = _create(env, "DUP@example.com", "--password-stdin", stdin="long enough password\n")
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "minedash: error: An account with the e-mail address dup@example.com already exists."
    )


def test_short_password_is_refused_in_one_line(env: dict[str, str]) -> None:
    result = _create(env, "short@example.com", "--password-stdin", stdin="tooshort\n")
    assert result.returncode == 1
    assert result.stderr.strip() == "minedash: error: The password must be at least 12 characters long."
    assert "short@example.com" not in [row[0] for row in _rows(env)]


def test_prompt_asks_twice(env: dict[str, str]) -> None:
    result = _create(env, "prompted@example.com", stdin="typed twice here\ntyped twice here\n")
    assert result.returncode == 0, result.stderr
    assert "Repeat the password" in result.stderr
    assert ("prompted@example.com", "editor") in [row[:2] for row in _rows(env)]


def test_bad_email_and_role(env: dict[str, str]) -> None:
    assert _create(env, "not-an-email", "--password-stdin", stdin="long enough password\n").returncode == 1
    bad_role = _create(env, "x@example.com", "--role", "owner", "--password-stdin", stdin="long enough password\n")
    assert bad_role.returncode == 2 and "owner" in bad_role.stderr
