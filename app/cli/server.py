"""Running Minedash: migrate, serve, check, build-assets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from app.cli.base import clear_errors, main
from app.settings import Settings, get_settings
from app.store.db import (
    check_database,
    describe_url,
    get_engine,
    writing_engine,
)

if TYPE_CHECKING:
    pass


@main.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@clear_errors
def migrate(revision: str) -> None:
    """Upgrade the database schema (DATABASE_URL) to the latest migration."""
    from app.store import migrate as migrations

    settings = get_settings()
    engine = get_engine()
    check_database(engine, require_head=False)
    # A migration reads the schema, then changes it: on SQLite it holds the write lock from the start.
    migrations.upgrade(writing_engine(engine), revision)
    click.echo(f"database {describe_url(settings.database_url)} is at migration {migrations.head_revision()}")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
@click.option("--workers", type=int, default=1, show_default=True)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@clear_errors
def serve(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    """Serve the web app with uvicorn (several workers: each with a listening socket of its own)."""
    import uvicorn

    from app.cli.workers import Supervisor, reuse_port_available

    settings = get_settings()
    check_database(get_engine())
    options: dict[str, Any] = {
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level,
        # The app logs every request itself (app.http.logging_setup), with its request id: once is enough.
        "access_log": False,
        **proxy_options(settings),
    }
    if workers > 1 and not reload and reuse_port_available():
        # Spread over the workers by the kernel rather than by whichever worker wakes first (app.cli.workers).
        raise SystemExit(Supervisor(uvicorn.Config("app.main:create_app", **options), workers).run())
    uvicorn.run("app.main:create_app", workers=workers, reload=reload, **options)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-* believed only from FORWARDED_ALLOW_IPS (nobody by default).

    Passed explicitly, so uvicorn's own default (trust 127.0.0.1) never applies.
    """
    trusted = settings.forwarded_allow_ips
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or ""}


@main.command("build-assets")
def build_assets() -> None:
    """Precompress plotly.js (brotli and gzip) once, so servers never spend CPU on it."""
    from app.http.assets import build_precompressed

    for path in build_precompressed():
        click.echo(f"{path} ({path.stat().st_size:,} bytes)")


@main.command()
@clear_errors
def check() -> None:
    """Exit 0 when the settings are valid and the database is reachable and migrated."""
    settings = get_settings()
    check_database(get_engine())
    click.echo(f"ok: {describe_url(settings.database_url)}")
