"""The audit trail is append-only in the database itself, not only by convention."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.store.models import AuditAction, AuditEntry
from app.store.queries.audit import list_audit_entries, record_audit


def _entry(db_session: Session) -> AuditEntry:
    return record_audit(
        session=db_session,
        actor=Actor.user(7, "editor@example.com"),
        action=AuditAction.update,
        entity="site_month",
        entity_id=1,
        before={"btc_mined": "1.5"},
        after={"btc_mined": "2.5"},
        reason="typo in the release",
        company_id=3,
        site_id=4,
        period=dt.date(2025, 1, 1),
    )


def test_recorded_entry_reads_back(db_session: Session) -> None:
    entry = _entry(db_session)
    found = list_audit_entries(session=db_session, company_id=3, period=dt.date(2025, 1, 1))
    assert [e.id for e in found] == [entry.id]
    assert found[0].before == {"btc_mined": "1.5"} and found[0].after == {"btc_mined": "2.5"}
    assert found[0].actor_label == "editor@example.com"


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_database_refuses_to_change_audit_entries(db_session: Session, statement: str) -> None:
    entry = _entry(db_session)
    db_session.commit()
    stmt = (
        update(AuditEntry).where(AuditEntry.id == entry.id).values(reason="rewritten")
        if statement == "update"
        else delete(AuditEntry).where(AuditEntry.id == entry.id)
    )
    with pytest.raises(DatabaseError, match="cannot be changed or deleted"), db_session.begin_nested():
        db_session.execute(stmt)
    assert db_session.scalar(select(AuditEntry.reason).where(AuditEntry.id == entry.id)) == "typo in the release"
