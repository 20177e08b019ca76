"""Backups that round-trip: `export_backup` writes the data (companies, sites, every stored figure, events, the
audit trail) as one JSON file per table plus a `manifest.json` (format version, migration revision, row counts,
SHA-256 per file); `restore_backup` loads such a directory into an empty database in the caller's transaction.

Accounts, sessions, login attempts and API tokens are never written (`NOT_INCLUDED` says why for each table);
`format` holds the table list and the value encoding both sides share.
"""

from app.store.backup.export import export_backup, snapshot_session
from app.store.backup.format import FORMAT_VERSION, INCLUDED, NOT_INCLUDED, BackupError
from app.store.backup.restore import restore_backup

__all__ = [
    "FORMAT_VERSION",
    "INCLUDED",
    "NOT_INCLUDED",
    "BackupError",
    "export_backup",
    "restore_backup",
    "snapshot_session",
]
