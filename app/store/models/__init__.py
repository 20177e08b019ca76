"""The database tables (SQLAlchemy 2, typed), one module per side: `figures` (companies, sites, monthly figures,
network months, events, the data revision, stored pages) and `accounts` (staff, sessions, tokens, audit);
`site_life` a site's capacity over time; `history` every published value of each figure; `stamps` the month
stamps the database's triggers keep; `base` holds the declarative base. Import them from here."""

from app.domain.enums import AuditAction, EventKind, RecordStatus, SiteStatus, TokenScope, UserRole
from app.store.models.accounts import ApiToken, AuditEntry, LoginAttempt, User, UserSession
from app.store.models.base import BTC, EHS, NAMING_CONVENTION, USD, Base, TimestampMixin, enum_column, utcnow
from app.store.models.figures import (
    Company,
    CompanyMonth,
    DataRevision,
    Event,
    NetworkMonth,
    PageSnapshot,
    ReportedMixin,
    Site,
    SiteMonth,
)
from app.store.models.history import FigureRevision
from app.store.models.site_life import SiteCapacity
from app.store.models.stamps import MonthStamp

__all__ = [
    "BTC",
    "EHS",
    "NAMING_CONVENTION",
    "USD",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "Base",
    "Company",
    "CompanyMonth",
    "DataRevision",
    "Event",
    "EventKind",
    "FigureRevision",
    "LoginAttempt",
    "MonthStamp",
    "NetworkMonth",
    "PageSnapshot",
    "RecordStatus",
    "ReportedMixin",
    "Site",
    "SiteCapacity",
    "SiteMonth",
    "SiteStatus",
    "TimestampMixin",
    "TokenScope",
    "User",
    "UserRole",
    "UserSession",
    "enum_column",
    "utcnow",
]
