"""Read schemas: what pages and the API return."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, create_model

from app.domain.metrics import METRICS
from app.domain.text import MAX_YEAR

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str) -> dt.date:
    """`YYYY-MM` -> first day of that month; ValueError with a readable message otherwise."""
    match = PERIOD_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a month: use YYYY-MM, e.g. 2025-01")
    year = int(match.group(1))
    if year < 2009:
        raise ValueError(f"{text!r} is before bitcoin existed")
    if year > MAX_YEAR:
        # Far years would overflow month arithmetic (December 9999 has no next month) and some databases.
        raise ValueError(f"{text!r} is too far in the future: use a year up to {MAX_YEAR}")
    return dt.date(year, int(match.group(2)), 1)


def format_period(period: dt.date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def _json_number(value: Decimal | None) -> float | int | None:
    """Decimals leave as JSON numbers with no float noise: 626 not 626.00000000, 578.51 not 578.5099…"""
    if value is None:
        return None
    rounded = value.quantize(Decimal("1e-10")).normalize() if value.as_tuple().exponent != 0 else value
    if rounded == rounded.to_integral_value():
        return int(rounded)
    return float(rounded)


Number = Annotated[Decimal | None, PlainSerializer(_json_number, return_type=float | int | None, when_used="json")]


class SiteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    region: str | None
    status: str
    capacity_mw: Number = None
    energized_on: dt.date | None
    retired_on: dt.date | None = Field(
        default=None, description="The first month the site no longer operates (its figures end the month before)"
    )


class CompanyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str = Field(examples=["cleanspark"])
    name: str = Field(examples=["CleanSpark"])
    ticker: str | None = Field(examples=["CLSK"])
    fiscal_year_end_month: int = Field(ge=1, le=12, examples=[9])


class CompanyList(BaseModel):
    data: list[CompanyRead]


class FigureRevisionRead(BaseModel):
    """One correction of a figure (or of a figure it is computed from, named by `metric` and `site`)."""

    metric: str
    site: str | None = None
    from_value: Number = Field(default=None, alias="from", description="The value before; null if there was none")
    to: Number = Field(default=None, description="The value after; null when the correction removed it")
    at: dt.datetime = Field(description="When the corrected value was published")
    by: str = Field(description="Who corrected it, as a role: editor, admin, token, cli or system", examples=["editor"])
    reason: str | None = Field(default=None, description="Why, exactly as typed")


class FigureSourceRead(BaseModel):
    source_url: str | None
    is_estimate: bool
    is_illustrative: bool = False
    revised: bool = Field(default=False, description="This figure was corrected after publication")
    publisher: str | None = Field(
        default=None, description="The source's title, else its publisher's host", examples=["investors.cleanspark.com"]
    )
    source_title: str | None = None
    revisions: list[FigureRevisionRead] | None = Field(default=None, description="Every correction, oldest first")
    basis: str | None = Field(
        default=None,
        description="For a derived figure computed by the dictionary's second formula: which, and why",
        examples=["Via realized hashrate: no average hashrate reported this month, so BTC mined ÷ BTC issued"],
    )


class CoverageRead(BaseModel):
    """The sites behind a company value summed from sites: those that reported it and those operating."""

    sites_reported: list[str] = Field(
        description="Slugs of the sites whose figures the value sums", examples=[["north"]]
    )
    sites_active: list[str] = Field(
        description="Slugs of the sites operating that month; the value is partial when some did not report",
        examples=[["north", "south"]],
    )


class ChangeRead(BaseModel):
    mom_pct: Number = Field(default=None, description="Change from the previous month, percent")
    yoy_pct: Number = Field(default=None, description="Change from the same month a year earlier, percent")


_metric_fields: dict[str, Any] = {
    name: (Number, Field(default=None, description=f"{spec.label} ({spec.unit})")) for name, spec in METRICS.items()
}

CompanyMonthRead = create_model(
    "CompanyMonthRead",
    period=(str, Field(examples=["2025-01"], description="Calendar month, YYYY-MM")),
    revised=(bool, Field(default=False, description="A published figure of this month was corrected")),
    revised_at=(dt.datetime | None, None),
    revision_reason=(str | None, None),
    sources=(
        dict[str, FigureSourceRead] | None,
        Field(default=None, description="Provenance of each figure (with ?provenance=true)"),
    ),
    changes=(
        dict[str, ChangeRead] | None,
        Field(default=None, description="Month-over-month and year-over-year change of each figure present"),
    ),
    coverage=(
        dict[str, CoverageRead] | None,
        Field(
            default=None,
            description="For each figure summed (or averaged) from the company's sites that month, the sites it "
            "covers; a figure the company reported itself has none. A change across a coverage change is null.",
        ),
    ),
    **_metric_fields,
)


class FigureRow(BaseModel):
    """One figure: the long shape's row (and a frame's)."""

    period: str = Field(examples=["2025-01"])
    company: str | None = Field(default=None, examples=["cleanspark"])
    site: str | None = Field(default=None, description="Site rows only", examples=["georgia"])
    metric: str = Field(examples=["btc_mined"])
    value: Number = Field(default=None, description="null where nothing was published (a frame lists every company)")
    unit: str = Field(examples=["BTC"])
    mom_pct: Number = Field(default=None, description="Change from the previous month, percent")
    yoy_pct: Number = Field(default=None, description="Change from the same month a year earlier, percent")
    source_url: str | None = None
    is_estimate: bool | None = None
    is_illustrative: bool | None = None
    revised: bool | None = Field(default=None, description="The month holding this figure was corrected")
    coverage: CoverageRead | None = Field(
        default=None, description="A company value summed from its sites: the sites it covers (null otherwise)"
    )


class SeriesAnswer(BaseModel):
    """What every series answer carries besides its rows."""

    period_from: str | None = Field(
        default=None, serialization_alias="from", description="The series' first month (not the page's)"
    )
    period_to: str | None = Field(
        default=None, serialization_alias="to", description="The series' last month (not the page's)"
    )
    count: int = Field(ge=0, description="Rows in this answer")
    units: dict[str, str]
    next: str | None = Field(
        default=None, description="URL of the next page; null on the last page (also a Link header)"
    )
    limit: int | None = Field(default=None, description="Rows per page; null when the series came whole")


class CompanyMonthly(SeriesAnswer):
    company: str
    as_of: dt.datetime | None = Field(default=None, description="With ?as_of: the moment the figures are as of")
    data: list[CompanyMonthRead | FigureRow] = Field(
        description="Wide shape: a row per month (with `?changes=flat`, `<metric>_mom_pct` and `<metric>_yoy_pct` "
        "instead of `changes`); long shape: a row per figure"
    )
