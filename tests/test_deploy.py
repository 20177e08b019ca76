"""docker-compose.yml, Dockerfile and the set-up files, checked without a Docker engine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_postgres_with_volume_and_healthcheck() -> None:
    compose = _compose()
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:16")
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_migrates_once_then_serves() -> None:
    services = _compose()["services"]
    migrate, web = services["migrate"], services["web"]
    assert migrate["command"] == ["minedash", "migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart") == "no"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert int(web["environment"]["WEB_CONCURRENCY"]) > 1
    for service in (migrate, web):
        assert service["build"] == "."
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["ENVIRONMENT"] == "production"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_dockerfile_serves_with_workers_as_non_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = dockerfile.split("\nCMD ", 1)[1]
    assert "exec minedash serve --workers" in command
    assert "uvicorn" not in command  # uvicorn's own workers share one socket (app.cli.workers)
    assert "\nUSER " in dockerfile


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quick and "make test" in quick


def test_ci_runs_make_test_on_sqlite_and_postgres() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.count("make test") >= 2
    assert "postgresql+psycopg://postgres@127.0.0.1:5432/" in ci


def _lock_pins(name: str) -> dict[str, str]:
    """Package -> version of a lock file; every entry must be pinned exactly and carry hashes."""
    pins: dict[str, str] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text()):
        if not entry[:1].isalnum():
            continue
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", entry)
        assert match, f"{name}: not pinned with ==: {entry.splitlines()[0]}"
        assert "--hash=sha256:" in entry, f"{name}: no hash for {match[1]}"
        pins[_normalise(match[1])] = match[2]
    return pins


def _normalise(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name[0]).lower()


def test_lock_files_pin_every_requirement_with_hashes() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime, test = _lock_pins("requirements.lock"), _lock_pins("requirements-test.lock")
    tools = ["pip", *pyproject["build-system"]["requires"]]
    for requirement in [*pyproject["project"]["dependencies"], *tools]:
        assert _normalise(requirement) in runtime, f"{requirement} is not in requirements.lock: run make lock"
    for requirement in [*pyproject["project"]["optional-dependencies"]["test"], *tools]:
        assert _normalise(requirement) in test, f"{requirement} is not in requirements-test.lock: run make lock"
    assert {name: test.get(name) for name in runtime} == runtime, "the two lock files pin different versions"


def test_dockerfile_installs_from_the_lock_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    assert "\nCOPY requirements.lock " in dockerfile
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert any("pip install --require-hashes -r requirements.lock" in line for line in installs)
    for line in installs:
        for command in line.split("&&"):
            if "pip install" in command and "--require-hashes" not in command:
                assert "--no-deps" in command, f"installs unlocked dependencies: {command.strip()}"


def test_makefile_installs_from_the_locks_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^LOCK\s*:?=\s*requirements\.lock$", makefile, re.M)
    assert re.search(r"^TEST_LOCK\s*:?=\s*requirements-test\.lock$", makefile, re.M)
    assert re.search(r"^\$\(VENV\)/\.installed:.*\$\(LOCK\)", makefile, re.M)
    assert re.search(r"^\$\(VENV\)/\.installed-test:.*\$\(TEST_LOCK\)", makefile, re.M)
    recipes = [line.strip() for line in makefile.splitlines() if line.startswith("\t") and "pip install" in line]
    assert any("--require-hashes -r $(LOCK)" in line for line in recipes)
    assert any("--require-hashes -r $(TEST_LOCK)" in line for line in recipes)
    for line in recipes:
        locked = "--require-hashes -r $(" in line or "--no-deps" in line or re.search(r"\buv==\S", line)
        assert locked, f"installs unlocked dependencies: {line}"
