"""The data commands: seed-demo, import (company figures), import-network, export and import-all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from app.store.queries.imports import ImportPlan

from app.cli.base import _fail, clear_errors, main
from app.store.db import (
    begin_writing,
    check_database,
    get_engine,
    get_sessionmaker,
)


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Load only when no company exists yet.")
@clear_errors
def seed_demo(if_empty: bool) -> None:
    """Load the demo: CleanSpark, other listed miners, the network and market reference (idempotent)."""
    from sqlalchemy import func, select

    from app.demo.loader import seed_demo as load
    from app.store.models import Company

    check_database(get_engine())
    with get_sessionmaker()() as session, session.begin():
        begin_writing(session)
        if if_empty and session.scalar(select(func.count()).select_from(Company)):
            click.echo("demo data skipped: the database already has companies")
            return
        counts = load(session=session)
    click.echo(f"demo data loaded: {counts['created']} rows created, {counts['updated']} updated")


@main.command("import-network")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@clear_errors
def import_network(file: str, dry_run: bool) -> None:
    """Load network and market reference months from a CSV (the layout of data/network_monthly.csv).

    New months are added, changed figures updated (each with its source), the rest left alone; all rows or
    none. An empty cell is a gap, a column left out keeps what is stored.
    """
    from pathlib import Path

    from app.domain.actors import Actor
    from app.schemas.network import parse_network_csv
    from app.store.queries import network as network_queries

    check_database(get_engine())
    parsed = parse_network_csv(Path(file).read_bytes())
    if parsed.errors:
        _fail("; ".join(parsed.errors))
    with get_sessionmaker()() as session, session.begin():
        plan = network_queries.plan_network_import(session=session, parsed=parsed)
        for row in plan.rows:
            if row.status == "error":
                click.echo(f"line {row.line} {row.label}: " + "; ".join(row.errors), err=True)
            elif row.status in ("new", "changed"):
                changes = ", ".join(f"{name} {old} → {new}" for name, old, new in row.changes)
                click.echo(f"{row.label} {row.status}: {changes}")
        counts = plan.counts
        summary = f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged"
        if plan.has_errors:
            _fail(f"{counts['error']} row(s) with errors: nothing imported ({summary})")
        if dry_run:
            click.echo(f"dry run: {summary}; nothing written")
            session.rollback()
            return
        done = network_queries.apply_network_import(
            session=session, plan=plan, actor=Actor.system("cli:import-network")
        )
    click.echo(f"network months imported: {done['created']} added, {done['updated']} updated ({summary})")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@clear_errors
def export(directory: Path) -> None:
    """Write a backup of the data (no accounts, sessions or tokens) into DIRECTORY, new or empty."""
    from app.store.backup import BackupError, export_backup, snapshot_session

    engine = get_engine()
    check_database(engine)
    with snapshot_session(engine) as session, session.begin():
        try:
            manifest = export_backup(directory, session=session)
        except BackupError as exc:
            _fail(str(exc))
    rows = sum(entry["rows"] for entry in manifest["tables"])
    click.echo(f"exported {rows} rows of {len(manifest['tables'])} tables to {directory}")


@main.command("import-all")
@click.argument("directory", type=click.Path(path_type=Path))
@clear_errors
def import_all(directory: Path) -> None:
    """Restore a backup made by `minedash export` into an empty, migrated database (all of it or nothing)."""
    from app.store.backup import BackupError, restore_backup

    engine = get_engine()
    # The backup's migration, not necessarily the newest: restore, then `minedash migrate` brings it up.
    check_database(engine, require_head=False)
    with get_sessionmaker()() as session, session.begin():
        try:
            counts = restore_backup(directory, session=session)
        except BackupError as exc:
            _fail(str(exc))
    click.echo(f"imported {sum(counts.values())} rows of {len(counts)} tables from {directory}")


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--company", "company_slug", required=True, help="The company's slug.")
@click.option("--dry-run", is_flag=True, help="Show what would change and save nothing.")
@click.option("--publish", is_flag=True, help="Publish the imported months (otherwise they are saved as drafts).")
@click.option("--reason", default=None, help="Why published figures change (required for a correction).")
@click.option("--as", "as_email", default=None, help="The staff account the change is made for (audit: cli:EMAIL).")
@click.option("--confirm-warnings", is_flag=True, help="Import despite treasury roll-forward warnings.")
@clear_errors
def import_csv(
    file: Any,
    company_slug: str,
    dry_run: bool,
    publish: bool,
    reason: str | None,
    as_email: str | None,
    confirm_warnings: bool,
) -> None:
    """Import monthly figures from a CSV file (FILE, or - for standard input), exactly as the staff page does:
    same reader, same dry run (printed as a table), all rows or none. Exits 1 listing the errors."""
    import getpass

    from app.domain.actors import Actor
    from app.schemas.csv_months import MAX_IMPORT_BYTES, parse_csv
    from app.store.models import UserRole
    from app.store.queries import get_company
    from app.store.queries import imports as import_queries
    from app.store.queries import months as month_queries
    from app.store.queries.users import get_user_by_email, normalise_email

    content = file.read(MAX_IMPORT_BYTES + 1)
    check_database(get_engine())
    # One transaction: any failure below (an error, a conflict, a missing reason) leaves nothing behind.
    with get_sessionmaker()() as session, session.begin():
        company = get_company(company_slug, session=session)
        if company is None:
            _fail(f"no company with slug {company_slug!r}")
        assert company is not None
        if as_email is not None:
            user = get_user_by_email(normalise_email(as_email), session=session)
            if user is None or not user.is_active or user.role not in (UserRole.admin, UserRole.editor):
                _fail(f"{as_email!r} is not an active staff account")
            assert user is not None
            actor = Actor("user", user.id, f"cli:{user.email}")
        else:
            actor = Actor.system(f"cli:{getpass.getuser()}")
        parsed = parse_csv(content)
        if parsed.errors:
            _fail_listing("the file cannot be imported; nothing was saved", parsed.errors)
        plan = import_queries.plan_import(session=session, company=company, parsed=parsed)
        for line in plan_table(plan):
            click.echo(line)
        if plan.has_errors:
            problems = [f"line {r.line} ({r.label}): {e}" for r in plan.rows for e in r.errors]
            _fail_listing(f"{plan.counts['error']} row(s) with errors; nothing was saved", problems)
        if dry_run:
            click.echo("dry run: nothing was saved")
            return
        if plan.needs_reason and not (reason or "").strip():
            _fail("published figures change: say why with --reason (investors see it with the correction)")
        if plan.warnings and not confirm_warnings:
            _fail_listing("check the warnings, then run again with --confirm-warnings", plan.warnings)
        try:
            counts = import_queries.apply_import(
                session=session,
                company=company,
                plan=plan,
                actor=actor,
                publish=publish,
                reason=reason,
                progress=_ProgressLines(),
            )
        except (month_queries.ReasonRequired, month_queries.VersionConflict, month_queries.MonthValidationError) as exc:
            _fail(f"nothing was imported: {exc}")
    click.echo(f"imported: {counts['created']} new, {counts['updated']} changed, {counts['published']} published")


class _ProgressLines:
    """'applying: 120 of 1200 rows (10%)' on standard error at every tenth, and at the end.

    Lines rather than a redrawn bar: a scheduled job's log keeps them readable.
    """

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // total
        if tenth > self.shown:
            self.shown = tenth
            click.echo(f"applying: {done} of {total} rows ({done * 100 // total}%)", err=True)
        if done == total:
            click.echo("committing…", err=True)


def _fail_listing(message: str, problems: list[str]) -> None:
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    _fail(message)


def plan_table(plan: ImportPlan) -> list[str]:
    """The dry run as the page shows it: changes to published figures first, then one line per row."""
    lines: list[str] = []
    published = plan.published_changes
    if published:
        removed = sum(1 for _, c in published if c.removal)
        lines.append(f"Published figures that change: {len(published)}" + (f", {removed} removed" if removed else ""))
        for row, change in published:
            new = "REMOVED" if change.removal else change.new
            lines.append(f"  {row.label} (line {row.line}): {change.field}: {change.old} -> {new}")
        lines.append("")
    from app.domain.metrics import METRICS

    def unit(field: str) -> str:
        return f" {METRICS[field].unit}" if field in METRICS else ""

    table = [("line", "month · site", "result", "details")]
    for row in plan.rows:
        details = [f"{c.field}: {c.old} -> {'REMOVED' if c.removal else c.new + unit(c.field)}" for c in row.changes]
        status = row.status + (" (correction of published)" if row.is_correction else "")
        table.append((str(row.line), row.label, status, "; ".join([*row.errors, *details, *row.warnings])))
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    lines.extend(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in table)
    counts = plan.counts
    lines.append(
        f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged,"
        f" {counts['error']} with errors"
    )
    return lines
