"""Pydantic schemas shared by the HTML pages and the JSON API (one module per area)."""

from app.schemas.read import (
    PERIOD_RE,
    CompanyList,
    CompanyMonthly,
    CompanyMonthRead,
    CompanyRead,
    FigureSourceRead,
    Number,
    SiteRead,
    format_period,
    parse_period,
)

__all__ = [
    "PERIOD_RE",
    "CompanyList",
    "CompanyMonthRead",
    "CompanyMonthly",
    "CompanyRead",
    "FigureSourceRead",
    "Number",
    "SiteRead",
    "format_period",
    "parse_period",
]
