"""Staff accounts and API tokens from the shell: create-user, create-token."""

from __future__ import annotations

import sys

import click

from app.cli.base import _fail, clear_errors, main
from app.store.db import (
    begin_writing,
    check_database,
    get_engine,
    get_sessionmaker,
)


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
    from app.store.models import UserRole
    from app.store.queries.users import UserError, create_user, normalise_email

    email = normalise_email(email)
    if "@" not in email.strip("@") or len(email) > 320 or any(c.isspace() for c in email):
        _fail(f"{email!r} is not an e-mail address")
    check_database(get_engine())
    password = _read_new_password(password_stdin)
    if (problem := password_problem(password)) is not None:
        _fail(problem)
    with get_sessionmaker()() as session, session.begin():
        begin_writing(session)
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
        begin_writing(session)
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
