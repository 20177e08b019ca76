"""Tables of the data: companies, sites, their monthly figures, network reference data, events, the data revision
and the stored pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.enums import EventKind, RecordStatus, SiteStatus
from app.store.models.base import BTC, EHS, USD, Base, TimestampMixin, enum_column, only_on, utcnow


class ReportedMixin(TimestampMixin):
    """Provenance and life cycle shared by every table of reported figures."""

    source_url: Mapped[str | None] = mapped_column(String(2000))
    is_estimate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)
    # Per-figure provenance where one release does not cover the whole row:
    # {"btc_sold": {"source_url": ..., "quote": ..., "is_estimate": true}}. Row-level fields apply
    # to any metric without an entry.
    figure_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    status: Mapped[RecordStatus] = mapped_column(
        enum_column(RecordStatus, "record_status"), default=RecordStatus.draft, server_default="draft"
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    published_at: Mapped[dt.datetime | None]
    revised_at: Mapped[dt.datetime | None]
    revision_reason: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class Company(TimestampMixin, Base):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ticker: Mapped[str | None] = mapped_column(String(16))
    fiscal_year_end_month: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    website_url: Mapped[str | None] = mapped_column(String(2000))
    # The data revision of the last change to anything the company's pages show: its figures, sites and
    # events, or shared data (network figures), which counts for every company. A page rendered at or after
    # it is still current, whatever other companies published since (app.cache.page_store).
    changed_revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    sites: Mapped[list[Site]] = relationship(back_populates="company", lazy="raise", order_by="Site.name")

    __table_args__ = (
        CheckConstraint("fiscal_year_end_month BETWEEN 1 AND 12", name="fiscal_year_end_month"),
        CheckConstraint("slug <> ''", name="slug_not_empty"),
    )


class Site(TimestampMixin, Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[SiteStatus] = mapped_column(
        enum_column(SiteStatus, "site_status"), default=SiteStatus.operating, server_default="operating"
    )
    capacity_mw: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    energized_on: Mapped[dt.date | None] = mapped_column(Date)
    # The first month the site no longer operates (its figures end the month before).
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    company: Mapped[Company] = relationship(back_populates="sites", lazy="raise")

    __table_args__ = (
        UniqueConstraint("company_id", "slug"),
        CheckConstraint("capacity_mw IS NULL OR capacity_mw >= 0", name="capacity_non_negative"),
        CheckConstraint(
            "retired_on IS NULL OR energized_on IS NULL OR retired_on > energized_on", name="retired_after_energized"
        ),
    )


# What app.store.queries.dashboard.company_data_summaries, releases.list_releases and queries.reported_spans read of
# a site month besides its (site_id, period): with these in the index, none of them reads the table.
SITE_MONTH_COVERED = ("status", "published_at", "revised_at", "updated_at")


class SiteMonth(ReportedMixin, Base):
    """One site's figures for one calendar month."""

    __tablename__ = "site_month"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    period: Mapped[dt.date] = mapped_column(Date)
    # Generated figures (a demo split of company totals): shown as illustrative everywhere.
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    btc_mined: Mapped[Decimal | None] = mapped_column(BTC)
    hashrate_avg_ehs: Mapped[Decimal | None] = mapped_column(EHS)
    hashrate_end_ehs: Mapped[Decimal | None] = mapped_column(EHS)
    hashrate_deployed_ehs: Mapped[Decimal | None] = mapped_column(EHS)
    fleet_efficiency_jth: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    miners_deployed: Mapped[int | None] = mapped_column(Integer)
    power_capacity_mw: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    energy_mwh: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    power_cost_usd_kwh: Mapped[Decimal | None] = mapped_column(Numeric(8, 5))
    uptime_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    curtailment_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    power_credits_usd: Mapped[Decimal | None] = mapped_column(USD)

    site: Mapped[Site] = relationship(lazy="raise")

    __table_args__ = (
        # The (site_id, period) index also carries the columns the overview's summary, releases and reported
        # spans read (SITE_MONTH_COVERED): Postgres answers those three from the index alone. SQLite has no
        # INCLUDE: there a second index with them as key columns does the same (ix_site_month_covering).
        UniqueConstraint("site_id", "period", postgresql_include=list(SITE_MONTH_COVERED)),
        CheckConstraint("btc_mined IS NULL OR btc_mined >= 0", name="btc_mined_non_negative"),
        CheckConstraint("hashrate_avg_ehs IS NULL OR hashrate_avg_ehs >= 0", name="hashrate_avg_non_negative"),
        CheckConstraint("hashrate_end_ehs IS NULL OR hashrate_end_ehs >= 0", name="hashrate_end_non_negative"),
        CheckConstraint(
            "hashrate_deployed_ehs IS NULL OR hashrate_deployed_ehs >= 0",
            name="hashrate_deployed_non_negative",
        ),
        CheckConstraint(
            "fleet_efficiency_jth IS NULL OR fleet_efficiency_jth BETWEEN 5 AND 200",
            name="efficiency_plausible",
        ),
        CheckConstraint("miners_deployed IS NULL OR miners_deployed >= 0", name="miners_non_negative"),
        CheckConstraint("power_capacity_mw IS NULL OR power_capacity_mw >= 0", name="power_non_negative"),
        CheckConstraint("energy_mwh IS NULL OR energy_mwh >= 0", name="energy_non_negative"),
        CheckConstraint(
            "power_cost_usd_kwh IS NULL OR power_cost_usd_kwh BETWEEN -10 AND 10", name="power_cost_plausible"
        ),
        CheckConstraint("uptime_pct IS NULL OR uptime_pct BETWEEN 0 AND 100", name="uptime_range"),
        CheckConstraint("curtailment_hours IS NULL OR curtailment_hours BETWEEN 0 AND 744", name="curtailment_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_site_month_period_status", "period", "status"),
        only_on("sqlite", Index("ix_site_month_covering", "site_id", "period", *SITE_MONTH_COVERED)),
    )


class CompanyMonth(ReportedMixin, Base):
    """The company-level figures of one month, as the company published them.

    Besides treasury and sales, it holds the company-wide operating figures (hashrate, efficiency,
    fleet) because most miners publish those only as company totals; the site rows, when present,
    are the breakdown.
    """

    __tablename__ = "company_month"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    period: Mapped[dt.date] = mapped_column(Date)

    btc_mined_total: Mapped[Decimal | None] = mapped_column(BTC)
    btc_held_end: Mapped[Decimal | None] = mapped_column(BTC)
    btc_sold: Mapped[Decimal | None] = mapped_column(BTC)
    btc_sold_proceeds_usd: Mapped[Decimal | None] = mapped_column(USD)
    hashrate_avg_ehs: Mapped[Decimal | None] = mapped_column(EHS)
    hashrate_end_ehs: Mapped[Decimal | None] = mapped_column(EHS)
    hashrate_deployed_ehs: Mapped[Decimal | None] = mapped_column(EHS)
    fleet_efficiency_jth: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    miners_deployed: Mapped[int | None] = mapped_column(Integer)
    power_capacity_mw: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))

    company: Mapped[Company] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("company_id", "period"),
        CheckConstraint("btc_mined_total IS NULL OR btc_mined_total >= 0", name="btc_mined_total_non_negative"),
        CheckConstraint("btc_held_end IS NULL OR btc_held_end >= 0", name="btc_held_non_negative"),
        CheckConstraint("btc_sold IS NULL OR btc_sold >= 0", name="btc_sold_non_negative"),
        CheckConstraint("btc_sold_proceeds_usd IS NULL OR btc_sold_proceeds_usd >= 0", name="proceeds_non_negative"),
        CheckConstraint("hashrate_avg_ehs IS NULL OR hashrate_avg_ehs >= 0", name="hashrate_avg_non_negative"),
        CheckConstraint("hashrate_end_ehs IS NULL OR hashrate_end_ehs >= 0", name="hashrate_end_non_negative"),
        CheckConstraint(
            "hashrate_deployed_ehs IS NULL OR hashrate_deployed_ehs >= 0",
            name="hashrate_deployed_non_negative",
        ),
        CheckConstraint(
            "fleet_efficiency_jth IS NULL OR fleet_efficiency_jth BETWEEN 5 AND 200",
            name="efficiency_plausible",
        ),
        CheckConstraint("miners_deployed IS NULL OR miners_deployed >= 0", name="miners_non_negative"),
        CheckConstraint("power_capacity_mw IS NULL OR power_capacity_mw >= 0", name="power_non_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_company_month_period_status", "period", "status"),
    )


class NetworkMonth(TimestampMixin, Base):
    """Bitcoin network reference figures for a month, shared by all companies."""

    __tablename__ = "network_month"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, unique=True)
    network_hashrate_avg_ehs: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    network_difficulty_avg_t: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    network_difficulty_t: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))  # at month end
    network_blocks: Mapped[int | None] = mapped_column(Integer)
    network_subsidy_btc: Mapped[Decimal | None] = mapped_column(BTC)
    network_fees_btc: Mapped[Decimal | None] = mapped_column(BTC)
    btc_price_avg_usd: Mapped[Decimal | None] = mapped_column(USD)
    btc_price_close_usd: Mapped[Decimal | None] = mapped_column(USD)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    is_estimate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)
    # Per column: {"btc_price_close_usd": {"source": "YF", "source_url": ..., "quote": ..., "licence": ...}}; the
    # row's source_url applies to a figure without an entry. A figure changed by staff loses its entry.
    figure_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    # Optimistic locking for the staff form, the import and the API's If-Match, as for company months.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("network_hashrate_avg_ehs IS NULL OR network_hashrate_avg_ehs > 0", name="hashrate_positive"),
        CheckConstraint(
            "network_difficulty_avg_t IS NULL OR network_difficulty_avg_t > 0", name="difficulty_avg_positive"
        ),
        CheckConstraint("network_difficulty_t IS NULL OR network_difficulty_t > 0", name="difficulty_positive"),
        CheckConstraint("network_blocks IS NULL OR network_blocks >= 0", name="blocks_non_negative"),
        CheckConstraint("network_subsidy_btc IS NULL OR network_subsidy_btc >= 0", name="subsidy_non_negative"),
        CheckConstraint("network_fees_btc IS NULL OR network_fees_btc >= 0", name="fees_non_negative"),
        CheckConstraint("btc_price_avg_usd IS NULL OR btc_price_avg_usd > 0", name="price_positive"),
        CheckConstraint("btc_price_close_usd IS NULL OR btc_price_close_usd > 0", name="close_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class Event(TimestampMixin, Base):
    """Something that explains the figures, drawn on every time chart."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("company_id", "date", "title"),
        CheckConstraint("title <> ''", name="title_not_empty"),
        Index("ix_event_date", "date"),
    )


class DataRevision(Base):
    """A single row counting changes to published data.

    Caches and ETags are keyed by it, so several workers agree on freshness without sharing memory.
    """

    __tablename__ = "data_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class PageSnapshot(Base):
    """A public page rendered when its data was published, shared by every worker (see app.cache.page_store).

    One row per page; it may be served while nothing it shows has changed since `revision`. On Postgres the bodies
    are stored without its own compression (migration 0012): it cost most of every publish's write. The plain body
    is kept only when there is no brotli form (a page too small to compress, migration 0013): every other reader
    takes brotli, and the rare one that does not gets it decompressed by the worker.
    """

    __tablename__ = "page_snapshot"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_br: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_gzip: Mapped[bytes | None] = mapped_column(LargeBinary)
    built_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (CheckConstraint("body IS NOT NULL OR body_br IS NOT NULL", name="body_or_brotli"),)
