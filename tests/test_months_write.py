"""The write contract: validation, optimistic locking, corrections with a reason, audit, data revision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.actors import Actor
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate, field_errors
from app.store.models import AuditAction, AuditEntry, RecordStatus
from app.store.queries import get_data_revision, load_company_series
from app.store.queries.month_release import publish_month, unpublish_month
from app.store.queries.months import (
    MonthValidationError,
    ReasonRequired,
    VersionConflict,
    delete_site_month,
    save_company_month,
    save_site_month,
    treasury_warning,
)
from tests.factories import make_company, make_company_month, make_site

ACTOR = Actor.user(1, "editor@example.com")
JAN = dt.date(2025, 1, 1)


def _audit(session: Session, **where: object) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(session.scalars(stmt))


def _revision(session: Session) -> int:
    return get_data_revision(session=session).revision


# --- schema -------------------------------------------------------------------------------------------


def test_schema_keeps_exact_decimals() -> None:
    data = SiteMonthCreate(btc_mined="100.12345678", hashrate_avg_ehs="0.000001")
    assert data.btc_mined == Decimal("100.12345678")
    assert data.hashrate_avg_ehs == Decimal("0.000001")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("btc_mined", "-1", "BTC mined cannot be negative (-1 BTC was entered)"),
        ("btc_mined", "abc", "read “abc”: not a number; expected a number in BTC"),
        ("btc_mined", "NaN", "read “NaN”: not a number"),
        ("btc_mined", "1.123456789", "BTC mined takes at most 8 decimal places (BTC)"),
        ("fleet_efficiency_jth", "4.9", "Fleet efficiency must be between 5 and 60 J/TH"),
        ("fleet_efficiency_jth", "61", "Fleet efficiency must be between 5 and 60 J/TH"),
        ("uptime_pct", "100.5", "Uptime must be between 0 and 100 %"),
        ("power_cost_usd_kwh", "-1.5", "All-in power cost must be between -1 and 1 USD/kWh"),
        ("power_credits_usd", "-5", "Power credits cannot be negative"),
        ("btc_mined", "1.234,5", "read “1.234,5”: a comma after the decimal point"),
        ("miners_deployed", "1.5", "whole number"),
        ("source_url", "javascript:alert(1)", "http"),
    ],
)
def test_schema_refuses_bad_values(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        SiteMonthCreate(**{field: value})
    errors = field_errors(exc.value)
    assert field in errors and message in errors[field]


def test_average_hashrate_not_above_deployed() -> None:
    with pytest.raises(ValidationError) as exc:
        SiteMonthCreate(hashrate_avg_ehs="5", hashrate_deployed_ehs="4")
    assert "deployed" in field_errors(exc.value)["hashrate_avg_ehs"]
    assert SiteMonthCreate(hashrate_avg_ehs="4", hashrate_deployed_ehs="4").hashrate_avg_ehs == 4


def test_blank_provenance_is_missing() -> None:
    data = CompanyMonthCreate(note="  ", source_url="")
    assert data.note is None and data.source_url is None


# --- saving -------------------------------------------------------------------------------------------


def test_create_records_audit_and_stays_draft(db_session: Session) -> None:
    site = make_site(db_session)
    before = _revision(db_session)
    row = save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="12.5", note="<script>x</script>"),
        actor=ACTOR,
        expected_version=None,
    )
    assert row.version == 1 and row.status == RecordStatus.draft and row.updated_by == "editor@example.com"
    entries = _audit(db_session, site_id=site.id)
    assert [e.action for e in entries] == [AuditAction.create]
    assert entries[0].after["btc_mined"] == "12.50000000" or entries[0].after["btc_mined"] == "12.5"
    assert entries[0].before is None and entries[0].actor_label == "editor@example.com"
    # A draft is nobody's published data.
    assert _revision(db_session) == before


def test_update_bumps_version_and_records_before_after(db_session: Session) -> None:
    site = make_site(db_session)
    row = save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="1"),
        actor=ACTOR,
        expected_version=None,
    )
    row = save_site_month(
        session=db_session, site=site, period=JAN, data=SiteMonthCreate(btc_mined="2"), actor=ACTOR, expected_version=1
    )
    assert row.version == 2 and row.btc_mined == Decimal("2")
    update = _audit(db_session, site_id=site.id, action=AuditAction.update)
    assert len(update) == 1
    assert Decimal(update[0].before["btc_mined"]) == 1 and Decimal(update[0].after["btc_mined"]) == 2


def test_unchanged_save_writes_nothing(db_session: Session) -> None:
    site = make_site(db_session)
    data = SiteMonthCreate(btc_mined="1")
    save_site_month(session=db_session, site=site, period=JAN, data=data, actor=ACTOR, expected_version=None)
    row = save_site_month(session=db_session, site=site, period=JAN, data=data, actor=ACTOR, expected_version=1)
    assert row.version == 1
    assert len(_audit(db_session, site_id=site.id)) == 1


def test_stale_version_is_a_conflict(db_session: Session) -> None:
    site = make_site(db_session)
    save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="1"),
        actor=ACTOR,
        expected_version=None,
    )
    save_site_month(
        session=db_session, site=site, period=JAN, data=SiteMonthCreate(btc_mined="2"), actor=ACTOR, expected_version=1
    )
    with pytest.raises(VersionConflict) as exc:
        save_site_month(
            session=db_session,
            site=site,
            period=JAN,
            data=SiteMonthCreate(btc_mined="3"),
            actor=ACTOR,
            expected_version=1,
        )
    assert exc.value.current is not None and exc.value.current.version == 2
    assert exc.value.current.btc_mined == Decimal("2")


def test_create_over_an_existing_row_is_a_conflict(db_session: Session) -> None:
    site = make_site(db_session)
    save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="1"),
        actor=ACTOR,
        expected_version=None,
    )
    with pytest.raises(VersionConflict) as exc:
        save_site_month(
            session=db_session,
            site=site,
            period=JAN,
            data=SiteMonthCreate(btc_mined="9"),
            actor=ACTOR,
            expected_version=None,
        )
    assert exc.value.current is not None and exc.value.current.btc_mined == Decimal("1")


def test_expected_version_without_a_row_is_a_conflict(db_session: Session) -> None:
    site = make_site(db_session)
    with pytest.raises(VersionConflict) as exc:
        save_site_month(
            session=db_session, site=site, period=JAN, data=SiteMonthCreate(), actor=ACTOR, expected_version=3
        )
    assert exc.value.current is None


def test_future_month_and_foreign_site_are_refused(db_session: Session) -> None:
    company = make_company(db_session)
    other_site = make_site(db_session)
    future = (dt.date.today().replace(day=1) + dt.timedelta(days=40)).replace(day=1)
    with pytest.raises(MonthValidationError) as exc:
        save_site_month(
            session=db_session,
            site=other_site,
            period=future,
            data=SiteMonthCreate(btc_mined="1"),
            actor=ACTOR,
            expected_version=None,
            company=company,
        )
    paths = {e["path"] for e in exc.value.errors}
    assert paths == {"period", "site"}
    assert not _audit(db_session, site_id=other_site.id)


def test_correcting_a_published_row_needs_a_reason(db_session: Session) -> None:
    site = make_site(db_session)
    save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="1"),
        actor=ACTOR,
        expected_version=None,
        publish=True,
    )
    with pytest.raises(ReasonRequired):
        save_site_month(
            session=db_session,
            site=site,
            period=JAN,
            data=SiteMonthCreate(btc_mined="1.5"),
            actor=ACTOR,
            expected_version=1,
        )
    revision = _revision(db_session)
    row = save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="1.5"),
        actor=ACTOR,
        expected_version=1,
        reason="typo in the release",
    )
    assert row.status == RecordStatus.published and row.version == 2
    assert row.revised_at is not None and row.revision_reason == "typo in the release"
    assert _revision(db_session) == revision + 1
    update = _audit(db_session, site_id=site.id, action=AuditAction.update)[0]
    assert update.reason == "typo in the release"


def test_publish_and_unpublish_month(db_session: Session) -> None:
    company = make_company(db_session)
    site_a, site_b = make_site(db_session, company), make_site(db_session, company)
    for site in (site_a, site_b):
        save_site_month(
            session=db_session,
            site=site,
            period=JAN,
            data=SiteMonthCreate(btc_mined="10", hashrate_avg_ehs="2"),
            actor=ACTOR,
            expected_version=None,
        )
    save_company_month(
        session=db_session,
        company=company,
        period=JAN,
        data=CompanyMonthCreate(btc_mined_total="21"),
        actor=ACTOR,
        expected_version=None,
    )
    # Drafts are invisible to investors.
    assert load_company_series(company, session=db_session)[1] == []
    revision = _revision(db_session)
    published = publish_month(session=db_session, company=company, period=JAN, actor=ACTOR)
    assert len(published) == 3 and all(r.status == RecordStatus.published and r.version == 2 for r in published)
    assert _revision(db_session) == revision + 1
    _, views = load_company_series(company, session=db_session)
    assert [v.period for v in views] == [JAN] and views[0].values["btc_mined_total"] == 21
    assert views[0].values["unallocated_btc"] == 1
    assert len(_audit(db_session, company_id=company.id, action=AuditAction.publish)) == 3

    with pytest.raises(ReasonRequired):
        unpublish_month(session=db_session, company=company, period=JAN, actor=ACTOR)
    unpublish_month(session=db_session, company=company, period=JAN, actor=ACTOR, reason="wrong month")
    assert load_company_series(company, session=db_session)[1] == []
    entries = _audit(db_session, company_id=company.id, action=AuditAction.unpublish)
    assert len(entries) == 3 and all(e.reason == "wrong month" for e in entries)
    # Published once, withdrawn, published again: a correction with a reason.
    with pytest.raises(ReasonRequired):
        publish_month(session=db_session, company=company, period=JAN, actor=ACTOR)
    again = publish_month(session=db_session, company=company, period=JAN, actor=ACTOR, reason="right month now")
    assert all(r.revision_reason == "right month now" for r in again)


def test_publish_with_nothing_to_publish(db_session: Session) -> None:
    company = make_company(db_session)
    with pytest.raises(MonthValidationError):
        publish_month(session=db_session, company=company, period=JAN, actor=ACTOR)


def test_save_with_publish_records_create_then_publish(db_session: Session) -> None:
    company = make_company(db_session)
    revision = _revision(db_session)
    save_company_month(
        session=db_session,
        company=company,
        period=JAN,
        data=CompanyMonthCreate(btc_mined_total="5"),
        actor=Actor.token(4, "erp"),
        expected_version=None,
        publish=True,
    )
    entries = _audit(db_session, company_id=company.id)
    assert [e.action for e in entries] == [AuditAction.create, AuditAction.publish]
    assert entries[0].actor_kind == "token" and entries[0].actor_label == "token:erp"
    assert _revision(db_session) == revision + 1


def test_delete_site_month(db_session: Session) -> None:
    site = make_site(db_session)
    save_site_month(
        session=db_session,
        site=site,
        period=JAN,
        data=SiteMonthCreate(btc_mined="1"),
        actor=ACTOR,
        expected_version=None,
        publish=True,
    )
    with pytest.raises(ReasonRequired):
        delete_site_month(session=db_session, site=site, period=JAN, actor=ACTOR, expected_version=1)
    delete_site_month(session=db_session, site=site, period=JAN, actor=ACTOR, expected_version=1, reason="dup")
    deleted = _audit(db_session, site_id=site.id, action=AuditAction.delete)
    assert len(deleted) == 1 and deleted[0].before["btc_mined"] is not None and deleted[0].after is None


def test_treasury_warning(db_session: Session) -> None:
    company = make_company(db_session)
    make_company_month(db_session, company, period=dt.date(2024, 12, 1), btc_held_end=Decimal("100"))
    ok = CompanyMonthCreate(btc_mined_total="10", btc_sold="5", btc_held_end="105")
    assert treasury_warning(session=db_session, company=company, period=JAN, data=ok) is None
    off = CompanyMonthCreate(btc_mined_total="10", btc_sold="5", btc_held_end="107.5")
    check = treasury_warning(session=db_session, company=company, period=JAN, data=off)
    assert check is not None and check.difference == Decimal("2.5") and check.expected_held_end == 105
    assert "+2.5" in check.message
    unknown_sale = CompanyMonthCreate(btc_mined_total="10", btc_held_end="107.5")
    assert treasury_warning(session=db_session, company=company, period=JAN, data=unknown_sale) is None


def test_changed_figure_drops_its_stale_source(db_session: Session) -> None:
    company = make_company(db_session)
    row = make_company_month(
        db_session,
        company,
        status=RecordStatus.draft,
        btc_sold=Decimal("1"),
        figure_sources={"btc_sold": {"source_url": "https://example.com/a"}, "btc_held_end": {"source_url": "x"}},
    )
    data = CompanyMonthCreate(btc_mined_total=row.btc_mined_total, btc_held_end=row.btc_held_end, btc_sold="2")
    saved = save_company_month(
        session=db_session, company=company, period=JAN, data=data, actor=ACTOR, expected_version=1
    )
    assert saved.figure_sources == {"btc_held_end": {"source_url": "x"}}
    update = _audit(db_session, company_id=company.id, action=AuditAction.update)[0]
    assert "btc_sold" in update.before["figure_sources"] and "btc_sold" not in update.after["figure_sources"]
