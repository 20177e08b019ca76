"""month_stamp: a stamp per (company, month) that the database moves whenever a row a month's view is built from
is written, changed or deleted, so that a reader can tell which months changed without reading their rows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:00:00

Triggers, not the app's writers, move the stamps: a stamp that some writer forgets (a script, a SQL console, a
future code path) would let a reader keep a stale month. See app.store.models.stamps.

No rows are written here: a month without a stamp is keyed by None until its first write, and no process keeps a
view across the migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table a month's view reads: the columns of its row `r` that name a month, the joins that lead to the company,
# and the (company_id, period) selected (as app.store.models.stamps.NETWORK: the network's months are stamped under
# company 0).
SOURCES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "site_month": (("site_id", "period"), "JOIN site s ON s.id = r.site_id", "s.company_id, r.period"),
    "company_month": (("company_id", "period"), "", "r.company_id, r.period"),
    "figure_revision": (("company_id", "period"), "", "r.company_id, r.period"),
    "network_month": (("period",), "", "0, r.period"),
}
OPERATIONS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "month_stamp",
        sa.Column("company_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "period", name=op.f("pk_month_stamp")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*SOURCES, "site"):
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS stamp_{table}_{operation} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS stamp_{table}_months()")
        op.execute("DROP SEQUENCE IF EXISTS month_stamp_seq")
    else:
        for table in (*SOURCES, "site"):
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS stamp_{table}_{operation}")
    op.drop_table("month_stamp")


def _postgres_upgrade() -> None:
    # Statement-level triggers over transition tables: a bulk insert of a quarter of a million rows stamps each
    # month once, not once per row. The months are stamped in order, so two writers lock them in the same order.
    op.execute("CREATE SEQUENCE month_stamp_seq")
    for table, (_, join, columns) in SOURCES.items():
        upsert = (
            "INSERT INTO month_stamp (company_id, period, stamp) "
            "SELECT company_id, period, nextval('month_stamp_seq') "
            f"FROM (SELECT DISTINCT {columns} FROM {{rows}} r {join}) AS months (company_id, period) "
            "ORDER BY company_id, period "
            "ON CONFLICT (company_id, period) DO UPDATE SET stamp = excluded.stamp;"
        )
        _postgres_triggers(
            table,
            f"""
            IF TG_OP IN ('INSERT', 'UPDATE') THEN {upsert.format(rows="new_rows")} END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN {upsert.format(rows="old_rows")} END IF;
            """,
            OPERATIONS,
        )
    # A site deleted (its rows go by cascade, when the site can no longer name its company) or moved to another
    # company: every month of the company it left.
    _postgres_triggers(
        "site",
        """
        UPDATE month_stamp m SET stamp = nextval('month_stamp_seq')
        FROM (SELECT DISTINCT company_id FROM old_rows) AS r WHERE m.company_id = r.company_id;
        """,
        ("update", "delete"),
    )


def _postgres_triggers(table: str, body: str, operations: Sequence[str]) -> None:
    function = f"stamp_{table}_months"
    op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")
    for operation in operations:
        tables = {
            "insert": "NEW TABLE AS new_rows",
            "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "delete": "OLD TABLE AS old_rows",
        }[operation]
        op.execute(
            f"CREATE TRIGGER stamp_{table}_{operation} AFTER {operation.upper()} ON {table} "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def _sqlite_upgrade() -> None:
    # SQLite has row-level triggers only, which name the row NEW or OLD; `FROM (SELECT NEW.x AS x) AS r` keeps the
    # statement's shape the same as on Postgres. random() gives 64 bits, and a rollback cannot bring an old stamp
    # back. `WHERE true`: SQLite's parser needs a WHERE before ON CONFLICT in an INSERT ... SELECT.
    rows = {"insert": ("NEW",), "update": ("NEW", "OLD"), "delete": ("OLD",)}
    for table, (names, join, columns) in SOURCES.items():
        for operation in OPERATIONS:
            body = " ".join(
                "INSERT INTO month_stamp (company_id, period, stamp) "
                f"SELECT {columns}, random() FROM (SELECT {', '.join(f'{row}.{n} AS {n}' for n in names)}) AS r "
                f"{join} WHERE true ON CONFLICT (company_id, period) DO UPDATE SET stamp = excluded.stamp;"
                for row in rows[operation]
            )
            op.execute(
                f"CREATE TRIGGER stamp_{table}_{operation} AFTER {operation.upper()} ON {table} BEGIN {body} END"
            )
    for operation in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER stamp_site_{operation} AFTER {operation.upper()} ON site "
            "BEGIN UPDATE month_stamp SET stamp = random() WHERE company_id = OLD.company_id; END"
        )
