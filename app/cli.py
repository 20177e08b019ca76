"""The `minedash` command: migrate, seed-demo, serve, check."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from app.db import DatabaseUnavailable, check_database, describe_url, get_engine, get_sessionmaker
from app.settings import SettingsError, get_settings

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"minedash: error: {message}", err=True)
    sys.exit(1)


def clear_errors(func: F) -> F:
    """Turn the operator's mistakes (settings, database) into one line and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SettingsError, DatabaseUnavailable) as exc:
            _fail(str(exc))

    return wrapper  # type: ignore[return-value]


@click.group()
def main() -> None:
    """Minedash: production metrics of bitcoin-mining companies."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@clear_errors
def migrate(revision: str) -> None:
    """Upgrade the database schema (DATABASE_URL) to the latest migration."""
    from app import migrate as migrations

    settings = get_settings()
    engine = get_engine()
    check_database(engine, require_head=False)
    migrations.upgrade(engine, revision)
    click.echo(f"database {describe_url(settings.database_url)} is at migration {migrations.head_revision()}")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Load only when no company exists yet.")
@clear_errors
def seed_demo(if_empty: bool) -> None:
    """Load CleanSpark's published monthly figures (running it again changes nothing)."""
    from sqlalchemy import func, select

    from app.demo import seed_demo as load
    from app.models import Company

    check_database(get_engine())
    with get_sessionmaker()() as session, session.begin():
        if if_empty and session.scalar(select(func.count()).select_from(Company)):
            click.echo("demo data skipped: the database already has companies")
            return
        counts = load(session=session)
    click.echo(f"demo data loaded: {counts['created']} rows created, {counts['updated']} updated")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
@click.option("--workers", type=int, default=1, show_default=True)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@clear_errors
def serve(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    """Serve the web app with uvicorn."""
    import uvicorn

    settings = get_settings()
    check_database(get_engine())
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_level=settings.log_level,
    )


@main.command("build-assets")
def build_assets() -> None:
    """Precompress plotly.js (brotli and gzip) once, so servers never spend CPU on it."""
    from app.assets import build_precompressed

    for path in build_precompressed():
        click.echo(f"{path} ({path.stat().st_size:,} bytes)")


@main.command()
@clear_errors
def check() -> None:
    """Exit 0 when the settings are valid and the database is reachable and migrated."""
    settings = get_settings()
    check_database(get_engine())
    click.echo(f"ok: {describe_url(settings.database_url)}")


if __name__ == "__main__":
    main()
