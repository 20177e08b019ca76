"""What the history endpoints answer: every published value of each figure of one month."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.schemas.read import Number


class PublishedValueRead(BaseModel):
    value: Number = Field(default=None, description="The figure as published; null when a correction removed it")
    published_at: dt.datetime = Field(description="When this value was published")
    superseded_at: dt.datetime | None = Field(
        default=None, description="When a correction (or a withdrawal) replaced it; null while it is current"
    )
    by: str = Field(description="Who published it, as a role: editor, admin, token, cli or system", examples=["editor"])
    reason: str | None = Field(default=None, description="Why it was corrected, exactly as typed")
    source_url: str | None = None
    source_title: str | None = None
    publisher: str | None = Field(default=None, description="The source's title, else its publisher's host")
    quote: str | None = Field(default=None, description="The source's own words for the figure")
    is_estimate: bool = False


class FigureHistoryRead(BaseModel):
    metric: str = Field(examples=["btc_mined_total"])
    unit: str = Field(examples=["BTC"])
    revised: bool = Field(description="Published more than once: corrected after its first publication")
    values: list[PublishedValueRead] = Field(description="Oldest first; the last one without superseded_at is current")


class MonthHistory(BaseModel):
    company: str = Field(examples=["cleanspark"])
    site: str | None = Field(default=None, examples=["georgia"])
    period: str = Field(examples=["2025-01"])
    count: int = Field(ge=0, description="Figures listed")
    figures: list[FigureHistoryRead]
