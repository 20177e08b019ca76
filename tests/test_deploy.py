"""docker-compose.yml, Dockerfile and the set-up files, checked without a Docker engine."""

from __future__ import annotations

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


def test_dockerfile_runs_uvicorn_with_workers_as_non_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uvicorn --factory app.main:create_app" in dockerfile
    assert "--workers" in dockerfile
    assert "\nUSER " in dockerfile


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quick and "make test" in quick


def test_ci_runs_make_test_on_sqlite_and_postgres() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.count("make test") >= 2
    assert "postgresql+psycopg://postgres@127.0.0.1:5432/" in ci
