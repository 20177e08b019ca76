"""month_stamp: a structure stamp per company (and the network's), moved by any write to its sites or events

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:00:00

Every page and answer about a company reads its sites, and its charts the events that explain them (the
company's and those that concern every company), on every build: two statements of a few rows that change a few
times a year. A stamp under the period 0001-01-01 (app.store.models.stamps.STRUCTURE) of the company's
month_stamp rows moves, by trigger, whenever one of its sites or events is written, changed or deleted; an event of
no company moves the network's (company 0). The stamps are read with the months' (one statement already made by
every build), and a process keeps the sites and events by them (app.store.queries.structure).

Triggers, as for the months' stamps (migration 0011): no writer has to remember it. A site moved to another company
moves both companies' stamps. No rows are written here: a company without a stamp is keyed by None until its
first such write, and no process keeps anything across the migration.

Downgrade: the triggers and the structure stamps go.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRUCTURE = "0001-01-01"
# Each table and the company its row `r` belongs to (the network's, 0, for an event of every company).
OWNERS = {"site": "r.company_id", "event": "COALESCE(r.company_id, 0)"}
OPERATIONS = ("insert", "update", "delete")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in OWNERS:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER IF EXISTS structure_{table}_{operation}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS structure_{table}()")
    op.execute(f"DELETE FROM month_stamp WHERE period = '{STRUCTURE}'")


def _postgres_upgrade() -> None:
    # Statement-level over transition tables, as migration 0011's: a bulk insert stamps each company once, in
    # order, so two writers lock the stamps in the same order.
    tables = {
        "insert": "NEW TABLE AS new_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
    }
    for table, owner in OWNERS.items():
        upsert = (
            "INSERT INTO month_stamp (company_id, period, stamp) "
            f"SELECT company_id, DATE '{STRUCTURE}', nextval('month_stamp_seq') "
            f"FROM (SELECT DISTINCT {owner} FROM {{rows}} r) AS owners (company_id) ORDER BY company_id "
            "ON CONFLICT (company_id, period) DO UPDATE SET stamp = excluded.stamp;"
        )
        body = f"""
            IF TG_OP IN ('INSERT', 'UPDATE') THEN {upsert.format(rows="new_rows")} END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN {upsert.format(rows="old_rows")} END IF;
        """
        function = f"structure_{table}"
        plpgsql = f"BEGIN {body} RETURN NULL; END"
        op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ {plpgsql} $$")
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER structure_{table}_{operation} AFTER {operation.upper()} ON {table} "
                f"REFERENCING {tables[operation]} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )


def _sqlite_upgrade() -> None:
    # Row-level, as SQLite has no other kind; `WHERE true` as in migration 0011 (SQLite's parser needs a WHERE
    # before ON CONFLICT in an INSERT ... SELECT).
    rows = {"insert": ("NEW",), "update": ("NEW", "OLD"), "delete": ("OLD",)}
    for table, owner in OWNERS.items():
        for operation in OPERATIONS:
            body = " ".join(
                "INSERT INTO month_stamp (company_id, period, stamp) "
                f"SELECT {owner}, '{STRUCTURE}', random() FROM (SELECT {row}.company_id AS company_id) AS r "
                "WHERE true ON CONFLICT (company_id, period) DO UPDATE SET stamp = excluded.stamp;"
                for row in rows[operation]
            )
            op.execute(
                f"CREATE TRIGGER structure_{table}_{operation} AFTER {operation.upper()} ON {table} BEGIN {body} END"
            )
