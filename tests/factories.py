"""Plain factory functions for test data; each flushes so ids exist, none commits."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.store.models import (
    Company,
    CompanyMonth,
    Event,
    EventKind,
    NetworkMonth,
    RecordStatus,
    Site,
    SiteMonth,
    User,
    UserRole,
)

_seq = itertools.count(1)

DEFAULT_PASSWORD = "correct horse battery staple"


def make_company(session: Session, **overrides: Any) -> Company:
    n = next(_seq)
    values: dict[str, Any] = {"slug": f"miner-{n}", "name": f"Miner {n}", "ticker": f"MN{n}"}
    company = Company(**{**values, **overrides})
    session.add(company)
    session.flush()
    return company


def make_site(session: Session, company: Company | None = None, **overrides: Any) -> Site:
    company = company or make_company(session)
    n = next(_seq)
    values: dict[str, Any] = {"company_id": company.id, "slug": f"site-{n}", "name": f"Site {n}", "region": "Texas"}
    site = Site(**{**values, **overrides})
    session.add(site)
    session.flush()
    return site


def make_site_month(session: Session, site: Site | None = None, **overrides: Any) -> SiteMonth:
    site = site or make_site(session)
    values: dict[str, Any] = {
        "site_id": site.id,
        "period": dt.date(2025, 1, 1),
        "btc_mined": Decimal("100.5"),
        "hashrate_avg_ehs": Decimal("10"),
        "hashrate_end_ehs": Decimal("11"),
        "fleet_efficiency_jth": Decimal("18.5"),
        "status": RecordStatus.published,
    }
    row = SiteMonth(**{**values, **overrides})
    session.add(row)
    session.flush()
    return row


def make_company_month(session: Session, company: Company | None = None, **overrides: Any) -> CompanyMonth:
    company = company or make_company(session)
    values: dict[str, Any] = {
        "company_id": company.id,
        "period": dt.date(2025, 1, 1),
        "btc_mined_total": Decimal("626"),
        "btc_held_end": Decimal("10556"),
        "status": RecordStatus.published,
    }
    row = CompanyMonth(**{**values, **overrides})
    session.add(row)
    session.flush()
    return row


def make_network_month(session: Session, **overrides: Any) -> NetworkMonth:
    values: dict[str, Any] = {"period": dt.date(2025, 1, 1), "network_hashrate_avg_ehs": Decimal("785")}
    row = NetworkMonth(**{**values, **overrides})
    session.add(row)
    session.flush()
    return row


def make_event(session: Session, **overrides: Any) -> Event:
    values: dict[str, Any] = {"date": dt.date(2024, 4, 20), "title": "Halving", "kind": EventKind.halving}
    row = Event(**{**values, **overrides})
    session.add(row)
    session.flush()
    return row


@functools.cache
def _password_hash(password: str) -> str:
    # Argon2 is slow on purpose; hashing the same test password once per run keeps the suite quick.
    from app.http.auth import hash_password

    return hash_password(password)


def make_user(
    session: Session,
    *,
    email: str | None = None,
    role: UserRole = UserRole.editor,
    password: str = DEFAULT_PASSWORD,
    is_active: bool = True,
) -> User:
    n = next(_seq)
    user = User(
        email=(email or f"{role.value}-{n}@example.com").lower(),
        password_hash=_password_hash(password),
        role=role,
        is_active=is_active,
    )
    session.add(user)
    session.flush()
    return user
