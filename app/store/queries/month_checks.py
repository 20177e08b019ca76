"""The checks a month must pass before it is written: period bounds, a site's life, the treasury roll-forward,
reasons, versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.domain.site_life import outside_life
from app.store.models import CompanyMonth, RecordStatus, Site, SiteMonth

REASON_MAX = 2000


class VersionConflict(Exception):
    """Someone else saved this row first; `.current` is the stored row (None if it was deleted)."""

    def __init__(self, current: SiteMonth | CompanyMonth | None, expected_version: int | None) -> None:
        self.current = current
        self.expected_version = expected_version
        stored = "no row" if current is None else f"version {current.version}"
        super().__init__(f"expected version {expected_version}, found {stored}")


class ReasonRequired(Exception):
    """A published figure changes only through a correction with a reason."""


class MonthValidationError(Exception):
    """Rules that need the database; `.errors` is a list of {"path": ..., "message": ...}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))


@dataclass(frozen=True, slots=True)
class TreasuryCheck:
    """The roll-forward of holdings: previous + mined − sold should equal the month-end holdings."""

    previous_held_end: Decimal
    mined: Decimal
    sold: Decimal
    expected_held_end: Decimal
    held_end: Decimal

    @property
    def difference(self) -> Decimal:
        return self.held_end - self.expected_held_end

    @property
    def message(self) -> str:
        return (
            f"Treasury does not roll forward: {_num(self.previous_held_end)} held at the end of the previous month"
            f" + {_num(self.mined)} mined − {_num(self.sold)} sold = {_num(self.expected_held_end)} BTC, but"
            f" {_num(self.held_end)} BTC is entered (difference {_signed(self.difference)} BTC: purchases,"
            " transfers or collateral?)"
        )


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + _num(value)


def is_correction(row: SiteMonth | CompanyMonth, *, changed: bool, publish: bool) -> bool:
    """Whether saving `row` needs a reason: its published figures change, or figures withdrawn earlier come back."""
    was_published = row.status == RecordStatus.published
    publishing = publish and not was_published
    return (was_published and changed) or (publishing and row.published_at is not None)


def current_month(today: dt.date | None = None) -> dt.date:
    today = today or dt.datetime.now(dt.UTC).date()
    return today.replace(day=1)


def check_period(period: dt.date, *, today: dt.date | None = None) -> list[dict[str, str]]:
    """Errors for a period that is not the first of a month or lies after the current month (UTC)."""
    if period.day != 1:
        return [{"path": "period", "message": "a period is the first day of a month"}]
    if period > current_month(today):
        return [{"path": "period", "message": f"{period:%B %Y} is in the future"}]
    return []


def check_site_life(site: Site, period: dt.date) -> list[dict[str, str]]:
    """A site's figures fall inside its life: from its energized month, before its retired month."""
    message = outside_life(site.name, site.energized_on, site.retired_on, period)
    return [{"path": "period", "message": message}] if message else []
