"""Writing a backup: every included table to its own file, then the manifest that vouches for them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from app.store.backup.format import FORMAT, FORMAT_VERSION, INCLUDED, MANIFEST, BackupError, columns, encode, file_name
from app.store.migrate import current_revision
from app.store.models import utcnow
from app.store.queries import get_data_revision


def snapshot_session(engine: Engine) -> Session:
    """A session whose transaction reads one moment of the database, however long the export takes.

    Postgres needs REPEATABLE READ for that; SQLite's read transaction already is one.
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    return Session(bind=engine)


def export_backup(directory: Path, *, session: Session) -> dict[str, Any]:
    """Write the backup into `directory` (created if missing, refused if not empty); returns the manifest."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty directory: export writes into a new or empty one")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {directory}: {exc.strerror or exc}") from None
    tables = []
    for table in INCLUDED:
        rows, digest = _write_table(directory / file_name(table), table, session=session)
        tables.append({"table": table.name, "file": file_name(table), "rows": rows, "sha256": digest})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "migration_revision": current_revision(session.connection()),
        "data_revision": get_data_revision(session=session).revision,
        "exported_at": utcnow().isoformat(),
        "tables": tables,
    }
    # Written last: a directory without a manifest is an export that did not finish.
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_table(path: Path, table: Table, *, session: Session) -> tuple[int, str]:
    """One row per line, hashed as written; returns the row count and the file's SHA-256."""
    names = columns(table)
    stmt = select(*(table.c[name] for name in names)).order_by(*table.primary_key.columns)
    digest = hashlib.sha256()
    count = 0
    with path.open("wb") as out:

        def write(text: str) -> None:
            data = text.encode("utf-8")
            digest.update(data)
            out.write(data)

        head = {"table": table.name, "columns": names}
        write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [\n')
        for row in session.execute(stmt, execution_options={"yield_per": 1000}):
            write((",\n" if count else "") + json.dumps([encode(v) for v in row], ensure_ascii=False))
            count += 1
        write("\n]}\n")
    return count, digest.hexdigest()
