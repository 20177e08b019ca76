"""API tokens: created with a random secret shown once, stored as its SHA-256, listed, revoked, looked up."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.schemas.text import text_problem
from app.store.models import ApiToken, AuditAction, Company, TokenScope, utcnow
from app.store.queries.audit import record_audit

SECRET_PREFIX = "mdk_"
PREFIX_LENGTH = 12  # "mdk_" + 8 characters: enough to tell tokens apart, far too little to guess the rest
NAME_MAX = 200
# last_used_at is written at most this often, so a busy client does not turn every read into a write.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be created as asked; `.field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they are UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def create_token(
    *,
    session: Session,
    name: str,
    scope: TokenScope | str,
    actor: Actor,
    company: Company | None = None,
    expires_in_days: int | None = None,
    now: dt.datetime | None = None,
) -> NewToken:
    name = name.strip()
    if not name:
        raise TokenError("name", "Give the token a name that says who or what uses it.")
    if len(name) > NAME_MAX:
        raise TokenError("name", f"At most {NAME_MAX} characters.")
    if (problem := text_problem(name, label="The name")) is not None:
        raise TokenError("name", problem)
    try:
        scope = TokenScope(scope)
    except ValueError:
        raise TokenError("scope", "The scope is read or write.") from None
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise TokenError("expires", "Between 1 and 3650 days, or no expiry.")
    now = now or utcnow()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        scope=scope,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_LENGTH],
        company_id=company.id if company is not None else None,
        created_at=now,
        created_by=actor.label,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.create,
        entity="api_token",
        entity_id=token.id,
        after={"name": name, "scope": scope.value, "prefix": token.prefix, "expires_at": token.expires_at},
        company_id=token.company_id,
    )
    return NewToken(token=token, secret=secret)


def list_tokens(*, session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def get_token(token_id: int, *, session: Session) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def revoke_token(token: ApiToken, *, session: Session, actor: Actor, now: dt.datetime | None = None) -> bool:
    """Revoke at once; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=AuditAction.delete,
        entity="api_token",
        entity_id=token.id,
        before={"name": token.name, "prefix": token.prefix},
        after={"revoked_at": token.revoked_at},
        company_id=token.company_id,
    )
    return True


def token_state(token: ApiToken, now: dt.datetime | None = None) -> str:
    """`active`, `revoked` or `expired`."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    expires = _aware(token.expires_at)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def find_active_token(secret: str, *, session: Session, now: dt.datetime | None = None) -> tuple[ApiToken | None, str]:
    """The token behind a secret and why it cannot be used: (token, "active"|"revoked"|"expired"|"unknown")."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:
        return None, "unknown"
    return token, token_state(token, now)


def touch_token(token: ApiToken, *, session: Session, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    last = _aware(token.last_used_at)
    if last is None or now - last >= TOUCH_INTERVAL:
        token.last_used_at = now
        session.flush()
