"""The `minedash` command: migrate, seed-demo, serve, check."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from app.settings import Settings, SettingsError, get_settings
from app.store.db import DatabaseUnavailable, check_database, describe_url, get_engine, get_sessionmaker

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
    from app.store import migrate as migrations

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

    from app.demo.loader import seed_demo as load
    from app.store.models import Company

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
        log_level=settings.log_level,
        **proxy_options(settings),
    )


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


def _read_new_password(password_stdin: bool) -> str:
    if password_stdin:
        # One line; only the line ending is removed, so a passphrase may contain spaces.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password", err=True)


@main.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "editor"]), default="editor", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@clear_errors
def create_user(email: str, role: str, password_stdin: bool) -> None:
    """Add a staff account (the first admin: `minedash create-user you@example.com --role admin`)."""
    from app.domain.actors import Actor
    from app.http.auth import hash_password, password_problem
    from app.schemas.admin import check_email
    from app.store.models import UserRole
    from app.store.queries.users import UserError, create_user, normalise_email

    try:
        email = normalise_email(check_email(email))
    except ValueError as exc:
        _fail(f"{email!r}: {exc}")
    check_database(get_engine())
    password = _read_new_password(password_stdin)
    if (problem := password_problem(password)) is not None:
        _fail(problem)
    with get_sessionmaker()() as session, session.begin():
        try:
            create_user(
                session=session,
                email=email,
                password_hash=hash_password(password),
                role=UserRole(role),
                actor=Actor.system("cli:create-user"),
            )
        except UserError as exc:
            _fail(exc.message)
    click.echo(f"created {role} {email}")


@main.command("create-token")
@click.option("--name", required=True, help="Who or what uses the token (shown in the token list and the audit).")
@click.option("--scope", type=click.Choice(["read", "write"]), required=True)
@click.option("--expires", "expires_days", type=click.IntRange(1, 3650), default=None, help="Days until it expires.")
@click.option("--company", "company_slug", default=None, help="Limit writes to this company's figures.")
@clear_errors
def create_token(name: str, scope: str, expires_days: int | None, company_slug: str | None) -> None:
    """Create an API token and print its secret once (only a hash is stored)."""
    from app.domain.actors import Actor
    from app.store.queries import get_company
    from app.store.queries.tokens import TokenError
    from app.store.queries.tokens import create_token as create

    check_database(get_engine())
    with get_sessionmaker()() as session, session.begin():
        company = None
        if company_slug is not None:
            company = get_company(company_slug, session=session)
            if company is None:
                _fail(f"no company with slug {company_slug!r}")
        try:
            new = create(
                session=session,
                name=name,
                scope=scope,
                actor=Actor.system("cli:create-token"),
                company=company,
                expires_in_days=expires_days,
            )
        except TokenError as exc:
            _fail(exc.message)
        expiry = f"expires {new.token.expires_at:%Y-%m-%d %H:%M} UTC" if new.token.expires_at else "never expires"
    click.echo(f"created {scope} token {name!r} (id {new.token.id}, {expiry})", err=True)
    click.echo("copy it now, it is not shown again:", err=True)
    click.echo(new.secret)


if __name__ == "__main__":
    main()
