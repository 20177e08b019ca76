"""What the admin forms accept: accounts, companies, sites and events.

Form fields arrive as text; blank optional fields become None, surrounding spaces are dropped, and every
message is written to be shown beside its field.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.domain.enums import EventKind, SiteStatus, UserRole
from app.domain.passwords import password_problem
from app.domain.text import MAX_ROW_ID, invisible_character
from app.schemas.site_life import check_life, month_value
from app.schemas.text import MultiLine, OneLine, text_problem

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.:\-]{0,15}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LONG_TEXT = 5000


class FormModel(BaseModel):
    """Text fields are OneLine or MultiLine (app.schemas.text): an invisible character is refused, with a
    message beside its field, never silently dropped."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: None if isinstance(v, str) and not v.strip() else v for k, v in data.items()}
        return data


def check_url(value: str | None) -> str | None:
    """Only http(s) links: anything else (javascript:, data:) would be a script in a link on every page."""
    if value is None:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() for c in value)
        or invisible_character(value) is not None
    ):
        raise ValueError("Enter a full web address starting with https:// (or http://).")
    return value


# Words the admin pages use in their own addresses (/companies/new, /sites/new).
RESERVED_SLUGS = frozenset({"new", "edit", "delete", "import", "admin"})


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError("Use lower-case letters, digits and single hyphens (for example north-texas).")
    if value in RESERVED_SLUGS:
        raise ValueError(f"“{value}” is reserved; choose another slug.")
    return value


def check_decimal(value: Any, *, places: int, maximum: Decimal) -> Decimal | None:
    if value is None:
        return None
    text = str(value).replace(",", "").replace("_", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("Enter a number, for example 150 or 12.5.") from None
    if not number.is_finite():
        raise ValueError("Enter a number, for example 150 or 12.5.")
    if number < 0:
        raise ValueError("Cannot be negative.")
    if number > maximum:
        raise ValueError(f"Must be at most {maximum:,}.")
    if -number.as_tuple().exponent > places:  # type: ignore[operator]
        raise ValueError(f"At most {places} decimal places.")
    return number


# ---- accounts ------------------------------------------------------------------------------------------------


def check_email(value: str) -> str:
    """An e-mail address as stored: trimmed, lower-case, one line of visible characters."""
    value = value.strip().lower()
    if (problem := text_problem(value, label="The e-mail address")) is not None:
        raise ValueError(problem)
    if len(value) > 320 or not EMAIL_RE.match(value):
        raise ValueError("Enter an e-mail address such as name@example.com.")
    return value


def _check_new_password(value: str) -> str:
    if (problem := password_problem(value)) is not None:
        raise ValueError(problem)
    return value


class UserCreate(FormModel):
    email: str = Field(max_length=320)
    role: UserRole = UserRole.editor
    password: str
    password_confirm: str

    # Passwords are taken as typed: spaces at either end are part of them.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_email(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _check_new_password(value)

    @field_validator("password_confirm")
    @classmethod
    def _confirmed(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("The two passwords differ.")
        return value


class PasswordReset(FormModel):
    password: str
    password_confirm: str

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _check_new_password(value)

    @field_validator("password_confirm")
    @classmethod
    def _confirmed(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("The two passwords differ.")
        return value


class PasswordChange(PasswordReset):
    """A user changing their own password: the current one proves it is them, not a borrowed session."""

    current_password: str


class RoleUpdate(FormModel):
    role: UserRole


# ---- companies, sites, events --------------------------------------------------------------------------------


class CompanyCreate(FormModel):
    name: OneLine = Field(min_length=1, max_length=200)
    slug: str = Field(max_length=64)
    ticker: str | None = Field(default=None, max_length=16)
    fiscal_year_end_month: int = Field(default=12, ge=1, le=12)
    website_url: str | None = Field(default=None, max_length=2000)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @field_validator("website_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value)

    @field_validator("ticker")
    @classmethod
    def _ticker(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.upper()
        if not TICKER_RE.match(value):
            raise ValueError("Letters, digits, dots, colons and hyphens only (for example CLSK).")
        return value


CompanyUpdate = CompanyCreate

SITE_MAX_MW = Decimal("9999999.999")


class SiteCreate(FormModel):
    name: OneLine = Field(min_length=1, max_length=200)
    slug: str = Field(max_length=64)
    region: OneLine | None = Field(default=None, max_length=200)
    status: SiteStatus = SiteStatus.operating
    capacity_mw: Decimal | None = None
    energized_on: dt.date | None = None
    # The first month the site no longer operates (YYYY-MM); its figures end the month before.
    retired_on: dt.date | None = None
    note: MultiLine | None = Field(default=None, max_length=LONG_TEXT)

    @field_validator("retired_on", mode="before")
    @classmethod
    def _retired(cls, value: Any) -> dt.date | None:
        return month_value(value)

    @field_validator("retired_on")
    @classmethod
    def _after_energized(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # Beside the retired month, where the mistake is made.
        if (problem := check_life(info.data.get("energized_on"), value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @field_validator("capacity_mw", mode="before")
    @classmethod
    def _capacity(cls, value: Any) -> Decimal | None:
        return check_decimal(value, places=3, maximum=SITE_MAX_MW)

    @field_validator("energized_on")
    @classmethod
    def _energized(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not dt.date(2009, 1, 3) <= value <= dt.date.today() + dt.timedelta(days=3 * 366):
            raise ValueError("Enter a date between 2009 and three years from now.")
        return value


SiteUpdate = SiteCreate


class SiteCapacityCreate(FormModel):
    """One capacity entry: the site's capacity (MW) from a month on, with where it was published."""

    effective_month: dt.date
    capacity_mw: Decimal
    source_url: str | None = Field(default=None, max_length=2000)

    @field_validator("effective_month", mode="before")
    @classmethod
    def _month(cls, value: Any) -> dt.date:
        month = month_value(value)
        if month is None:
            raise ValueError("Enter the month the capacity applies from (YYYY-MM).")
        return month

    @field_validator("capacity_mw", mode="before")
    @classmethod
    def _capacity(cls, value: Any) -> Decimal:
        found = check_decimal(value, places=3, maximum=SITE_MAX_MW)
        if found is None:
            raise ValueError("Enter the capacity in MW.")
        return found

    @field_validator("source_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value)


class EventCreate(FormModel):
    date: dt.date
    title: OneLine = Field(min_length=1, max_length=300)
    kind: EventKind = EventKind.other
    site_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    source_url: str | None = Field(default=None, max_length=2000)
    description: MultiLine | None = Field(default=None, max_length=LONG_TEXT)

    @field_validator("source_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value)

    @field_validator("date")
    @classmethod
    def _date(cls, value: dt.date) -> dt.date:
        if not dt.date(2009, 1, 3) <= value <= dt.date.today() + dt.timedelta(days=3 * 366):
            raise ValueError("Enter a date between 2009 and three years from now.")
        return value


EventUpdate = EventCreate
