"""Schemas of the public API v1 responses (the OpenAPI document is generated from them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from app.domain.enums import SiteStatus
from app.domain.metrics import METRICS, SITE_METRICS
from app.schemas.admin import check_url
from app.schemas.months import CompanyMonthCreate, SiteMonthCreate
from app.schemas.read import (
    CompanyMonthRead,
    CompanyRead,
    CoverageRead,
    FigureRow,
    FigureSourceRead,
    Number,
    SeriesAnswer,
    SiteRead,
)
from app.schemas.text import MultiLine, OneLine

NEXT_DESCRIPTION = 'URL of the next page; null on the last page (also sent as a `Link: <…>; rel="next"` header)'


class Paged(BaseModel):
    count: int = Field(ge=0, description="Rows in this page")
    next: str | None = Field(default=None, description=NEXT_DESCRIPTION)
    limit: int = Field(description="Page size used for this answer", examples=[1000])


class CompanyPage(Paged):
    data: list[CompanyRead]


class SitePage(Paged):
    company: str = Field(examples=["cleanspark"])
    data: list[SiteRead]


class CompanyDetail(CompanyRead):
    website_url: str | None = None
    first_period: str | None = Field(
        default=None, description="First month with a published figure", examples=["2023-01"]
    )
    last_period: str | None = Field(
        default=None, description="Last month with a published figure", examples=["2025-06"]
    )
    sites: list[SiteRead]


class CapacityEntry(BaseModel):
    """The site's capacity from one month on, until the next entry."""

    model_config = ConfigDict(extra="forbid")

    effective_month: str = Field(
        pattern=r"^(2009|20[1-9][0-9]|2100)-(0[1-9]|1[0-2])$", description="YYYY-MM", examples=["2024-07"]
    )
    capacity_mw: Decimal = Field(ge=0, le=100000, max_digits=10, decimal_places=3, examples=[75])
    source_url: str | None = Field(default=None, max_length=2000, examples=["https://example.com/10-k"])

    @field_validator("source_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value)


class SiteDetail(SiteRead):
    capacity_history: list[CapacityEntry] = Field(
        default_factory=list, description="The site's capacity over time, oldest first"
    )
    note: str | None = None
    company: str = Field(examples=["cleanspark"])
    first_period: str | None = Field(default=None, examples=["2024-01"])
    last_period: str | None = Field(default=None, examples=["2025-06"])


_site_metric_fields: dict[str, Any] = {
    name: (Number, Field(default=None, description=f"{METRICS[name].label} ({METRICS[name].unit})"))
    for name in SITE_METRICS
}

SiteMonthRead = create_model(
    "SiteMonthRead",
    period=(str, Field(examples=["2025-01"], description="Calendar month, YYYY-MM")),
    site=(str, Field(examples=["sandersville"])),
    is_illustrative=(bool, Field(default=False, description="A generated split of company totals, not reported")),
    is_estimate=(bool, False),
    source_url=(str | None, None),
    note=(str | None, None),
    revised=(bool, Field(default=False, description="A published figure of this month was corrected")),
    revised_at=(dt.datetime | None, None),
    revision_reason=(str | None, None),
    sources=(
        dict[str, FigureSourceRead] | None,
        Field(default=None, description="Provenance of each figure (with ?provenance=true)"),
    ),
    **_site_metric_fields,
)


class SiteMonthly(SeriesAnswer):
    company: str
    site: str | None = Field(default=None, description="The site, when the URL names one")
    data: list[SiteMonthRead | FigureRow]


class CrossMonthly(SeriesAnswer):
    companies: list[str] = Field(examples=[["cleanspark", "mara"]])
    data: list[CompanyMonthRead | FigureRow]


class Frame(SeriesAnswer):
    metric: str = Field(examples=["btc_per_ehs_day"])
    period: str = Field(examples=["2025-01"])
    unit: str = Field(examples=["BTC per EH/s per day"])
    data: list[FigureRow] = Field(description="A row per company, ordered by slug")


class QuarterFigure(BaseModel):
    company: str = Field(examples=["cleanspark"])
    value: Number = Field(default=None, description="null where the company published none of the quarter's months")
    unit: str = Field(examples=["BTC"])
    months_reported: int = Field(ge=0, le=3, description="How many of the quarter's three months gave a figure")
    complete: bool = Field(description="Every month of the quarter was published")
    coverage: dict[str, CoverageRead] = Field(
        default_factory=dict,
        description="Month (YYYY-MM) -> the sites its value summed from the company's sites covers; months with a "
        "company-reported figure, or none, are absent",
    )


class QuarterFrame(BaseModel):
    metric: str = Field(examples=["btc_mined"])
    quarter: str = Field(examples=["2025-Q1"])
    period_from: str = Field(serialization_alias="from", examples=["2025-01"])
    period_to: str = Field(serialization_alias="to", examples=["2025-03"])
    unit: str = Field(examples=["BTC"])
    count: int = Field(ge=0)
    data: list[QuarterFigure] = Field(description="A row per company, ordered by slug")


class EventRead(BaseModel):
    date: dt.date
    title: str = Field(examples=["Fourth halving"])
    kind: str = Field(examples=["halving"])
    company: str | None = Field(default=None, description="null for an event that concerns every company")
    site: str | None = None
    source_url: str | None = None
    description: str | None = None


class EventPage(Paged):
    data: list[EventRead]


class MetricRead(BaseModel):
    name: str = Field(examples=["fleet_efficiency_jth"])
    label: str = Field(examples=["Fleet efficiency"])
    unit: str = Field(examples=["J/TH"])
    level: str = Field(description="site, company, network or derived", examples=["site"])
    timing: str = Field(description="total for the month, average over it, or month end", examples=["month_end"])
    aggregation: str = Field(description="How site figures combine: sum, weighted_mean or none", examples=["sum"])
    weight: str | None = Field(default=None, description="The metric weighting the mean across sites")
    decimals: int = Field(description="Decimals shown on pages (the API returns exact values)")
    formula: str | None = Field(default=None, description="How a derived metric is computed")
    lower_is_better: bool = False
    may_be_negative: bool = Field(
        default=False, description="Whether a value below zero is accepted (e.g. a power cost net of credits)"
    )
    minimum: Number = Field(default=None, description="Smallest value accepted on entry (a stored metric)")
    maximum: Number = Field(default=None, description="Largest value accepted on entry (a stored metric)")
    site_aggregate: bool = Field(
        default=False,
        description="A company's value can be the sum or weighted mean of its sites' figures; the monthly API "
        "then says which sites it covers (`coverage`)",
    )
    may_be_partial: bool = Field(
        default=False,
        description="A company's value can cover only some of its sites: a site aggregate or a metric derived from one",
    )


class MetricList(BaseModel):
    data: list[MetricRead]


# --- writes ----------------------------------------------------------------------------------------------

_WRITE_FIELDS: dict[str, Any] = {
    "publish": (
        bool,
        Field(default=False, description="Publish the month (same as ?publish=true); otherwise it is saved as draft"),
    ),
    "reason": (
        MultiLine | None,
        Field(
            default=None,
            max_length=2000,
            description="Why a published month changes; required for a correction, shown to investors",
            examples=["Corrected from the 10-Q"],
        ),
    ),
}

SiteMonthWrite = create_model(
    "SiteMonthWrite",
    __base__=SiteMonthCreate,
    __doc__="One site's figures for a month; every figure optional (missing is null, never 0), exact decimals.",
    **_WRITE_FIELDS,
)
CompanyMonthWrite = create_model(
    "CompanyMonthWrite",
    __base__=CompanyMonthCreate,
    __doc__="The company-level figures of a month; every figure optional, exact decimals.",
    **_WRITE_FIELDS,
)


class _StoredMonth(BaseModel):
    period: str = Field(examples=["2025-01"])
    company: str = Field(examples=["cleanspark"])
    status: str = Field(description="draft or published", examples=["published"])
    version: int = Field(ge=1, description="Bumped by every change; the ETag follows it")
    published_at: dt.datetime | None = None
    revised_at: dt.datetime | None = None
    revision_reason: str | None = None
    updated_at: dt.datetime | None = None
    updated_by: str | None = None
    note: str | None = None
    source_url: str | None = None
    is_estimate: bool = False


SiteMonthStored = create_model(
    "SiteMonthStored",
    __base__=_StoredMonth,
    site=(str, Field(examples=["georgia"])),
    is_illustrative=(bool, False),
    **_site_metric_fields,
)
# create_model's overloads cannot type field definitions spread from a dict; the fields are checked at run time.
CompanyMonthStored = create_model(  # type: ignore[call-overload]
    "CompanyMonthStored",
    __base__=_StoredMonth,
    **{
        name: (Number, Field(default=None, description=f"{METRICS[name].label} ({METRICS[name].unit})"))
        for name in CompanyMonthCreate.metric_names()
    },
)


class CompanyPut(BaseModel):
    """A company's descriptive fields (the slug is the URL's)."""

    model_config = ConfigDict(extra="forbid")

    name: OneLine = Field(min_length=1, max_length=200, examples=["Marathon Digital"])
    ticker: str | None = Field(default=None, max_length=16, examples=["MARA"])
    fiscal_year_end_month: int = Field(default=12, ge=1, le=12)
    website_url: str | None = Field(default=None, max_length=2000, examples=["https://www.mara.com/"])


class SitePut(BaseModel):
    """A site's descriptive fields (the slug is the URL's)."""

    model_config = ConfigDict(extra="forbid")

    name: OneLine = Field(min_length=1, max_length=200, examples=["Garden City"])
    region: OneLine | None = Field(default=None, max_length=200, examples=["Texas, US"])
    status: SiteStatus = SiteStatus.operating
    capacity_mw: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)
    energized_on: dt.date | None = None
    retired_on: dt.date | None = Field(
        default=None, description="The first month the site no longer operates (a date in that month, YYYY-MM-DD)"
    )
    capacity_history: list[CapacityEntry] | None = Field(
        default=None,
        description="The site's whole capacity history (replaces the stored one); left out, it is kept",
    )
    note: MultiLine | None = Field(default=None, max_length=5000)
