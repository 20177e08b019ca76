"""Schemas of the market API: network months (read, stored, written), the league table, quarters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, create_model, field_validator

from app.domain.metrics import METRICS, NETWORK_METRICS
from app.domain.quarters import QUARTER_METRICS
from app.schemas.network import NetworkMonthCreate
from app.schemas.read import FigureRow, FigureSourceRead, Number, SeriesAnswer

NETWORK_READ_METRICS: tuple[str, ...] = (*NETWORK_METRICS, "hashprice_usd_per_ph_day")


def _figures(names: tuple[str, ...]) -> dict[str, Any]:
    return {n: (Number, Field(default=None, description=f"{METRICS[n].label} ({METRICS[n].unit})")) for n in names}


class NetworkFigureSource(BaseModel):
    source: str | None = Field(default=None, description="Source keys, e.g. CM, YF, RPC+CM", examples=["CM"])
    source_url: str | None = None
    licence: str | None = Field(default=None, examples=["CM: CC BY-NC 4.0"])
    attribution: str | None = Field(default=None, description="What to show next to the figure")
    is_estimate: bool = False


class NetworkFigureSourceRead(FigureSourceRead):
    """A network figure's provenance in a series (a derived figure has its inputs')."""

    source: str | None = Field(default=None, description="Source keys, e.g. CM, YF, RPC+CM", examples=["CM"])
    licence: str | None = Field(default=None, examples=["CM: CC BY-NC 4.0"])
    attribution: str | None = Field(default=None, description="What to show next to the figure")


NetworkMonthRead = create_model(
    "NetworkMonthRead",
    period=(str, Field(examples=["2025-01"])),
    source_url=(str | None, Field(default=None, description="The month's main source")),
    is_estimate=(bool, False),
    sources=(
        dict[str, NetworkFigureSourceRead] | None,
        Field(default=None, description="Each figure's source (with ?provenance=true)"),
    ),
    **_figures(NETWORK_READ_METRICS),
)


class NetworkMonthly(SeriesAnswer):
    data: list[NetworkMonthRead | FigureRow]


class NetworkMonthWrite(NetworkMonthCreate):
    """Every figure of the month (a figure left out becomes null: a gap, never 0), exact decimals."""

    sources: dict[str, str] | None = Field(
        default=None,
        description='Per figure, the source keys that fed it (e.g. {"btc_price_close_usd": "YF"}); a changed '
        "figure without one falls back to the row's source_url",
        examples=[{"btc_price_close_usd": "YF"}],
    )

    @field_validator("sources")
    @classmethod
    def _known_figures(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, keys in (value or {}).items():
            if name not in NETWORK_METRICS:
                raise ValueError(f"{name!r} is not a network figure ({', '.join(NETWORK_METRICS)})")
            if not keys.strip() or len(keys) > 60:
                raise ValueError(f"the source of {name} must be 1 to 60 characters")
        return value


NetworkMonthStored = create_model(
    "NetworkMonthStored",
    period=(str, Field(examples=["2025-01"])),
    version=(int, Field(ge=1, description="Bumped by every change; the ETag follows it")),
    updated_at=(dt.datetime | None, None),
    updated_by=(str | None, None),
    source_url=(str | None, None),
    is_estimate=(bool, False),
    note=(str | None, None),
    sources=(dict[str, NetworkFigureSource], Field(default_factory=dict)),
    **_figures(NETWORK_METRICS),
)


class LeagueCell(BaseModel):
    value: Number = None
    rank: int | None = Field(default=None, description="1 = best among the companies with this figure; null = gap")
    mom_pct: Number = Field(default=None, description="Change from the month before, percent (null when unknown)")
    basis: str | None = Field(default=None, description="Set when the figure took the dictionary's second formula")
    is_estimate: bool = False
    coverage: str | None = Field(
        default=None,
        description="A value summed from some of the company's sites: '2 of 3 sites (South not reported)'; its "
        "month-over-month change is null when the month before covered other sites",
    )


class LeagueRow(BaseModel):
    company: str = Field(examples=["cleanspark"])
    name: str = Field(examples=["CleanSpark"])
    ticker: str | None = Field(default=None, examples=["CLSK"])
    reported: bool = Field(description="The company published figures for this month")
    figures: dict[str, LeagueCell] = Field(description="One cell per league metric (see `metrics`)")


class LeaguePage(BaseModel):
    month: str = Field(examples=["2024-05"])
    default_month: str | None = Field(
        default=None, description="The month shown without ?month: the latest one most companies published"
    )
    sort: str = Field(examples=["btc_mined"])
    metrics: dict[str, dict[str, Any]] = Field(description="unit, formula and whether lower is better, per metric")
    data: list[LeagueRow]


QuarterFigures = create_model("QuarterFigures", **_figures(QUARTER_METRICS))


class QuarterRead(BaseModel):
    label: str = Field(examples=["FY2025 Q2"])
    fiscal_year: int = Field(description="The year in which the (fiscal) year ends", examples=[2025])
    quarter: int = Field(ge=1, le=4)
    start: str = Field(description="First month, YYYY-MM", examples=["2025-01"])
    end: str = Field(description="Last month, YYYY-MM", examples=["2025-03"])
    complete: bool = Field(description="Every month of the quarter has a published release")
    months_reported: int = Field(ge=0, le=3)
    missing_months: list[str] = Field(description="Months of the quarter without a published release")
    coverage: dict[str, int] = Field(description="Per figure, how many of the quarter's months have it")
    figures: QuarterFigures


class CompanyQuarterly(BaseModel):
    company: str
    basis: str = Field(description="fiscal or calendar", examples=["fiscal"])
    fiscal_year_end_month: int = Field(ge=1, le=12, examples=[9])
    units: dict[str, str]
    rules: dict[str, str] = Field(description="How each figure becomes a quarter's: sum, quarter end or day-weighted")
    data: list[QuarterRead]
