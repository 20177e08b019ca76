"""Server-side staff sessions: the browser holds a random secret, the table holds its hash and the state.

Logging out, disabling a user or resetting a password ends the rows, so the cookie stops working at once
on every worker, which a signed cookie alone cannot do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.settings import get_settings
from app.store.models import User, UserSession, utcnow

COOKIE_NAME = "minedash_session"
# Writing last_seen_at on every request would turn each page view into a write; a minute of slack in
# the idle timeout is harmless.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


def hash_session_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes even for timezone-aware columns; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user: User
    row: UserSession


def create_session(
    *, session: Session, user: User, ip: str | None, user_agent: str | None, now: dt.datetime | None = None
) -> tuple[str, UserSession]:
    """A new session for the user; returns the cookie secret (shown to nobody else) and the row."""
    now = now or utcnow()
    settings = get_settings()
    secret = secrets.token_urlsafe(32)
    row = UserSession(
        id=hash_session_secret(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=settings.session_absolute_hours),
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return secret, row


def load_session(*, session: Session, secret: str | None, now: dt.datetime | None = None) -> ActiveSession | None:
    """The live session behind a cookie secret, or None when it is unknown, ended, expired or its user disabled.

    Expiry is decided from the timestamps on every request, so nothing has to be written for a session to end.
    """
    if not secret or len(secret) > 200:
        return None
    now = now or utcnow()
    row = session.get(UserSession, hash_session_secret(secret))
    if row is None or row.ended_at is not None:
        return None
    idle_limit = dt.timedelta(minutes=get_settings().session_idle_minutes)
    if now >= _aware(row.expires_at) or now - _aware(row.last_seen_at) >= idle_limit:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - _aware(row.last_seen_at) >= TOUCH_INTERVAL:
        row.last_seen_at = now
        session.flush()
    return ActiveSession(user=user, row=row)


def end_session(*, session: Session, secret: str | None, now: dt.datetime | None = None) -> None:
    if not secret or len(secret) > 200:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.id == hash_session_secret(secret), UserSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )


def end_user_sessions(
    *, session: Session, user_id: int, now: dt.datetime | None = None, except_id: str | None = None
) -> int:
    """End every open session of a user (disabled, password reset); returns how many were open."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if except_id is not None:
        stmt = stmt.where(UserSession.id != except_id)
    result = session.execute(stmt.values(ended_at=now or utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def count_open_sessions(*, session: Session, user_id: int) -> int:
    rows = session.scalars(
        select(UserSession.id).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    return len(rows)
