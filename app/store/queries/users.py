"""Staff accounts and login attempts. Writes of accounts are audited; nothing here commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.settings import get_settings
from app.store.models import AuditAction, LoginAttempt, User, UserRole, utcnow
from app.store.queries.audit import record_audit, snapshot
from app.store.sessions import end_user_sessions

# What the audit trail keeps of an account: never the password hash.
USER_AUDIT_FIELDS = ("email", "role", "is_active")


class UserError(ValueError):
    """A refused change to an account; `field` names the form field the message belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user(user_id: int, *, session: Session) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(email: str, *, session: Session) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def list_users(*, session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.email)).all()


def count_active_admins(*, session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(User).where(User.role == UserRole.admin, User.is_active.is_(True))
        )
        or 0
    )


def create_user(
    *, session: Session, email: str, password_hash: str, role: UserRole, actor: Actor, is_active: bool = True
) -> User:
    email = normalise_email(email)
    if get_user_by_email(email, session=session) is not None:
        raise UserError("email", f"An account with the e-mail address {email} already exists.")
    user = User(email=email, password_hash=password_hash, role=role, is_active=is_active, password_changed_at=utcnow())
    session.add(user)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.create,
        entity="app_user",
        entity_id=user.id,
        after=snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


def _would_leave_no_admin(user: User, *, session: Session, role: UserRole, is_active: bool) -> bool:
    was_active_admin = user.role == UserRole.admin and user.is_active
    stays_active_admin = role == UserRole.admin and is_active
    return was_active_admin and not stays_active_admin and count_active_admins(session=session) <= 1


def update_user(
    user: User,
    *,
    session: Session,
    actor: Actor,
    role: UserRole | None = None,
    is_active: bool | None = None,
    reason: str | None = None,
) -> User:
    """Change an account's role or active flag; disabling ends every session of the account.

    Refuses a change that would leave no active admin (nobody could then manage accounts).
    """
    new_role = user.role if role is None else role
    new_active = user.is_active if is_active is None else is_active
    if new_role == user.role and new_active == user.is_active:
        return user
    if _would_leave_no_admin(user, session=session, role=new_role, is_active=new_active):
        field = "role" if new_role != user.role else "is_active"
        raise UserError(field, "This is the last active admin: add or enable another admin first.")
    before = snapshot(user, USER_AUDIT_FIELDS)
    user.role = new_role
    user.is_active = new_active
    session.flush()
    if not new_active:
        end_user_sessions(session=session, user_id=user.id)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.update,
        entity="app_user",
        entity_id=user.id,
        before=before,
        after=snapshot(user, USER_AUDIT_FIELDS),
        reason=reason,
    )
    return user


def set_password(
    user: User, *, session: Session, password_hash: str, actor: Actor, keep_session_id: str | None = None
) -> None:
    """Replace the password and end every session of the account (whoever had it is logged out).

    `keep_session_id` spares the session of a user changing their own password.
    """
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    session.flush()
    end_user_sessions(session=session, user_id=user.id, except_id=keep_session_id)
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.update,
        entity="app_user",
        entity_id=user.id,
        before={"password": "(previous)"},
        after={"password": "(reset)"},
    )


def record_login(user: User, *, session: Session, now: dt.datetime | None = None) -> None:
    user.last_login_at = now or utcnow()
    session.flush()


# ---- login attempts and rate limits -------------------------------------------------------------------------


def record_login_attempt(
    *, session: Session, ip: str, email: str, succeeded: bool, now: dt.datetime | None = None
) -> None:
    session.add(
        LoginAttempt(ip=ip[:64], email=normalise_email(email)[:320], succeeded=succeeded, attempted_at=now or utcnow())
    )
    session.flush()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _limited_for(
    *,
    session: Session,
    where: list[ColumnElement[bool]],
    limit: int,
    since: dt.datetime,
    window: dt.timedelta,
    now: dt.datetime,
) -> int | None:
    """Seconds until the oldest counted failure leaves the window, when `limit` failures are in it."""
    failures = session.scalars(
        select(LoginAttempt.attempted_at)
        .where(*where, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(limit)
    ).all()
    if len(failures) < limit:
        return None
    # The limit-th newest failure: once it ages out, one more attempt is allowed.
    release = _aware(failures[-1]) + window
    return max(1, math.ceil((release - now).total_seconds()))


def _lock_key(kind: str, value: str) -> int:
    """A stable signed 64-bit key for a Postgres advisory lock (every worker and process computes the same)."""
    digest = hashlib.sha256(f"minedash-login:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_login_attempts(*, session: Session, ip: str, email: str) -> None:
    """Serialise the login attempts of one account and of one IP until this transaction ends.

    Checking the limit, verifying the password and recording the failure must be one step: otherwise twenty
    parallel wrong passwords all pass the check before any failure is recorded. On Postgres, transaction-level
    advisory locks (released by the commit that records the attempt) make it one step across workers and
    processes; taken in key order, so two attempts can never wait on each other. SQLite runs one writing
    transaction at a time (they begin IMMEDIATE), which serialises the attempts by itself.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key("account", normalise_email(email)[:320]), _lock_key("ip", ip[:64])})
    for key in keys:
        session.execute(select(func.pg_advisory_xact_lock(key)))


def login_retry_after(*, session: Session, ip: str, email: str, now: dt.datetime | None = None) -> int | None:
    """None when a login attempt may proceed, else the seconds to wait (for Retry-After).

    Counted in the database so every worker sees the same attempts. An account's count starts again after
    a successful login; an IP's does not (one address guessing many accounts). Call lock_login_attempts first
    in the same transaction, so the answer holds until the attempt is recorded.
    """
    now = now or utcnow()
    settings = get_settings()
    window = dt.timedelta(minutes=settings.login_window_minutes)
    since = now - window
    email = normalise_email(email)[:320]
    waits = []
    ip_wait = _limited_for(
        session=session,
        where=[LoginAttempt.ip == ip[:64]],
        limit=settings.login_max_failures_per_ip,
        since=since,
        window=window,
        now=now,
    )
    if ip_wait is not None:
        waits.append(ip_wait)
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True), LoginAttempt.attempted_at > since
        )
    )
    account_since = max(since, _aware(last_success)) if last_success is not None else since
    account_wait = _limited_for(
        session=session,
        where=[LoginAttempt.email == email],
        limit=settings.login_max_failures_per_account,
        since=account_since,
        window=window,
        now=now,
    )
    if account_wait is not None:
        waits.append(account_wait)
    return max(waits) if waits else None


def prune_auth_records(*, session: Session, now: dt.datetime | None = None) -> None:
    """Forget login attempts older than a day and sessions over for a month; both tables would only grow."""
    from sqlalchemy import delete, or_

    from app.store.models import UserSession

    now = now or utcnow()
    session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - dt.timedelta(days=1)))
    month_ago = now - dt.timedelta(days=30)
    session.execute(
        delete(UserSession).where(or_(UserSession.expires_at < month_ago, UserSession.ended_at < month_ago))
    )
