"""Tables of the staff side: accounts, their sessions, login attempts, API tokens, the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import AuditAction, TokenScope, UserRole
from app.store.models.base import Base, TimestampMixin, enum_column, utcnow


class User(TimestampMixin, Base):
    """A staff account. The table is `app_user` because `user` is a reserved word in Postgres."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: one account per address whatever the capitalisation typed at login.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole, "user_role"), default=UserRole.editor)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]

    __table_args__ = (CheckConstraint("email = lower(email) AND email <> ''", name="email_lower"),)


class UserSession(Base):
    """A server-side login session; the browser's cookie carries only the random id whose hash is `id`."""

    __tablename__ = "user_session"

    # SHA-256 of the cookie's secret: a leaked table does not hand out live sessions.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    expires_at: Mapped[dt.datetime]  # absolute timeout
    ended_at: Mapped[dt.datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginAttempt(Base):
    """Every login attempt, so rate limits hold across workers (counted per IP and per account)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    ip: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    __table_args__ = (
        Index("ix_login_attempt_ip_attempted_at", "ip", "attempted_at"),
        Index("ix_login_attempt_email_attempted_at", "email", "attempted_at"),
    )


class ApiToken(Base):
    """A bearer token for trusted systems; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope, "token_scope"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, so a listing can tell tokens apart without revealing them.
    prefix: Mapped[str] = mapped_column(String(16))
    # Writes limited to one company's figures when set.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(320))
    last_used_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    __table_args__ = (CheckConstraint("name <> ''", name="name_not_empty"),)


class AuditEntry(Base):
    """One recorded change. Append-only: database triggers refuse UPDATE and DELETE.

    No foreign keys on purpose: the trail must outlive the rows it describes.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    actor_kind: Mapped[str] = mapped_column(String(16))  # user, token or system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity: Mapped[str] = mapped_column(String(32))  # table name: site_month, company_month, site, ...
    entity_id: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[dt.date | None] = mapped_column(Date)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("actor_kind IN ('user', 'token', 'system')", name="actor_kind"),
        Index("ix_audit_entry_company_id_period", "company_id", "period"),
        Index("ix_audit_entry_site_id_period", "site_id", "period"),
        Index("ix_audit_entry_entity_entity_id", "entity", "entity_id"),
    )
