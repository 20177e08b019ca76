"""Restoring a backup into an empty database, in the caller's transaction: all of it or nothing.

Everything is checked before the first row is written: the manifest (format, version, the table list), every
file against its SHA-256 and row count, the migration revision against the database's, and that the
database holds no data yet. Rows keep their ids, so every foreign key, and every id the audit trail names,
still points at the same row; Postgres's id sequences then move past them. The data revision is set past the
exported one and bumped once, so no ETag or cached answer of the old database can match a new answer.
"""

from __future__ import annotations

import json
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Table, exists, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.store.backup.format import (
    FORMAT,
    FORMAT_VERSION,
    INCLUDED,
    MANIFEST,
    BackupError,
    columns,
    decoder,
    file_name,
    sha256_of,
)
from app.store.migrate import current_revision
from app.store.models import AuditEntry, Company
from app.store.queries import bump_data_revision, get_data_revision

BATCH = 1000


def restore_backup(directory: Path, *, session: Session) -> dict[str, int]:
    """Load the backup in `directory`; returns the rows restored per table. Never commits."""
    manifest = read_manifest(directory)
    entries = {entry["table"]: entry for entry in manifest["tables"]}
    loaded = [(table, _read_table(directory, table, entries[table.name])) for table in INCLUDED]

    database_revision = current_revision(session.connection())
    if manifest["migration_revision"] != database_revision:
        wanted = manifest["migration_revision"]
        raise BackupError(
            f"the backup is of migration {wanted}, the database is at {database_revision or 'none'}: "
            f"restore into an empty database migrated with `minedash migrate --revision {wanted}`, then migrate"
        )
    _refuse_unless_empty(session)

    # The audit trail has no foreign keys: entries written here before the restore (by `create-user`, say)
    # keep theirs, and the restored ones are numbered after them, in their original order.
    renumber_audit = session.scalar(select(exists().select_from(AuditEntry))) or False
    counts: dict[str, int] = {}
    for table, rows in loaded:
        if renumber_audit and table is AuditEntry.__table__:
            rows = [{k: v for k, v in row.items() if k != "id"} for row in rows]
        _insert(session, table, rows)
        counts[table.name] = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        _advance_sequences(session)

    revision = get_data_revision(session=session)
    revision.revision = max(revision.revision, manifest["data_revision"])
    session.flush()
    bump_data_revision(session=session, companies=session.scalars(select(Company.id)).all())
    return counts


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, checked for shape, format and version."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path} is missing: not a backup directory (or an export that did not finish)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Minedash backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('format_version')!r} is not {FORMAT_VERSION}, "
            "the one this version of Minedash reads"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, list):
        tables = []
    names = [t.get("table") if isinstance(t, dict) else None for t in tables]
    if names != [t.name for t in INCLUDED]:
        raise BackupError(f"{path}: the tables listed are {names}, expected {[t.name for t in INCLUDED]}")
    for entry in tables:
        table_name = entry["table"]
        expected_file = f"{table_name}.json"
        if (
            entry.get("file") != expected_file
            or not isinstance(entry.get("rows"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise BackupError(f"{path}: the entry of table {table_name} needs file {expected_file}, rows and sha256")
    if not isinstance(manifest.get("migration_revision"), str):
        raise BackupError(f"{path}: migration_revision is missing")
    data_revision = manifest.get("data_revision")
    if not isinstance(data_revision, int) or isinstance(data_revision, bool) or data_revision < 0:
        raise BackupError(f"{path}: data_revision must be a whole number")
    return manifest


def _read_table(directory: Path, table: Table, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """One table's rows, decoded, after its checksum, columns and row count matched the manifest."""
    path = directory / file_name(table)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    if sha256_of(data) != entry["sha256"]:
        raise BackupError(f"{path} does not match its SHA-256 in the manifest: the file was changed or damaged")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from None
    names = columns(table)
    if not isinstance(document, dict) or document.get("table") != table.name or document.get("columns") != names:
        raise BackupError(f"{path}: expected table {table.name} with columns {', '.join(names)}")
    rows = document.get("rows")
    if not isinstance(rows, list) or len(rows) != entry["rows"]:
        raise BackupError(f"{path}: the manifest counts {entry['rows']} rows")
    decoders = [decoder(table, name) for name in names]
    out = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(names):
            raise BackupError(f"{path}: row {number} does not have {len(names)} values")
        try:
            out.append({name: decode(value) for name, decode, value in zip(names, decoders, row, strict=True)})
        except (ValueError, TypeError, InvalidOperation) as exc:
            raise BackupError(f"{path}: row {number}: {exc}") from None
    return out


def _refuse_unless_empty(session: Session) -> None:
    for table in INCLUDED:
        if table is AuditEntry.__table__:
            continue
        if session.scalar(select(exists().select_from(table))):
            raise BackupError(
                f"the database is not empty (table {table.name} has rows): import-all restores into an empty, "
                "migrated database only"
            )


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        try:
            session.execute(insert(table), rows[start : start + BATCH])
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise BackupError(f"cannot restore table {table.name}: {reason}") from None


def _advance_sequences(session: Session) -> None:
    """Rows came with their ids, which Postgres's sequences did not hand out: move each past the largest."""
    for table in INCLUDED:
        largest = session.scalar(select(func.max(table.c.id)))
        if largest is not None:
            session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), largest)))
