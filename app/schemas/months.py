"""Write schemas for monthly figures: what the staff forms, the CSV import and the API accept.

Every metric is optional (a missing figure is missing, not zero), an exact Decimal, non-negative and
within a plausible range; the precision matches the database column so nothing is rounded silently.
Rules that need the database (month not in the future, the site's company, the treasury roll-forward)
live in `app.store.queries.months`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.domain.metrics import COMPANY_METRICS, COMPANY_OPERATING_METRICS, SITE_METRICS
from app.domain.text import invisible_character
from app.schemas.text import MultiLine

# Bounds are "plausible", not physical limits: a value outside them is almost certainly a typo
# (a unit mix-up, a misplaced decimal point). Precision follows app.store.models.
BtcAmount = Annotated[Decimal, Field(ge=0, le=Decimal("250000"), max_digits=18, decimal_places=8)]
Hashrate = Annotated[Decimal, Field(ge=0, le=Decimal("5000"), max_digits=14, decimal_places=6)]
Efficiency = Annotated[Decimal, Field(ge=5, le=60, max_digits=8, decimal_places=3)]
Machines = Annotated[int, Field(ge=0, le=10_000_000)]
PowerMw = Annotated[Decimal, Field(ge=0, le=Decimal("100000"), max_digits=10, decimal_places=3)]
EnergyMwh = Annotated[Decimal, Field(ge=0, le=Decimal("100000000"), max_digits=14, decimal_places=3)]
PowerCost = Annotated[Decimal, Field(ge=0, le=1, max_digits=8, decimal_places=5)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=6, decimal_places=3)]
Hours = Annotated[Decimal, Field(ge=0, le=744, max_digits=8, decimal_places=2)]
Usd = Annotated[Decimal, Field(ge=0, le=Decimal("1e15"), max_digits=18, decimal_places=2)]

NOTE_MAX = 5000
URL_MAX = 2000

# Metric -> (label used in messages) for the cross-field rules below.
_HASHRATE_PAIRS = (
    ("hashrate_avg_ehs", "average hashrate"),
    ("hashrate_end_ehs", "month-end hashrate"),
)


class _Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: MultiLine | None = Field(default=None, max_length=NOTE_MAX)
    source_url: str | None = Field(default=None, max_length=URL_MAX, examples=["https://example.com/release"])
    is_estimate: bool = False

    @field_validator("note", "source_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("source_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        # Only web links: a `javascript:` or `data:` URL would run when an investor clicks the source.
        if value is None:
            return None
        parts = urlsplit(value)
        if (
            parts.scheme.lower() not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in value)
            or invisible_character(value) is not None
        ):
            raise ValueError("must be a web address starting with http:// or https://")
        return value

    @model_validator(mode="after")
    def _operating_hashrate_not_above_deployed(self) -> Any:
        deployed = getattr(self, "hashrate_deployed_ehs", None)
        if deployed is None:
            return self
        for name, label in _HASHRATE_PAIRS:
            value = getattr(self, name, None)
            if value is not None and value > deployed:
                raise _field_error(name, f"{label} ({value} EH/s) is above the deployed hashrate ({deployed} EH/s)")
        return self

    def metric_values(self) -> dict[str, Any]:
        """The metric fields only (no provenance)."""
        return {name: getattr(self, name) for name in type(self).metric_names()}

    @classmethod
    def metric_names(cls) -> tuple[str, ...]:
        return tuple(n for n in cls.model_fields if n not in ("note", "source_url", "is_estimate"))


def _field_error(field: str, message: str) -> ValueError:
    """A model-level error that still names its field (read back by `field_errors`)."""
    return ValueError(f"{field}: {message}")


class SiteMonthCreate(_Provenance):
    """One site's figures for one month (every site-level metric of the dictionary)."""

    btc_mined: BtcAmount | None = None
    hashrate_avg_ehs: Hashrate | None = None
    hashrate_end_ehs: Hashrate | None = None
    hashrate_deployed_ehs: Hashrate | None = None
    fleet_efficiency_jth: Efficiency | None = None
    miners_deployed: Machines | None = None
    power_capacity_mw: PowerMw | None = None
    energy_mwh: EnergyMwh | None = None
    power_cost_usd_kwh: PowerCost | None = None
    uptime_pct: Percent | None = None
    curtailment_hours: Hours | None = None
    power_credits_usd: Usd | None = None


class CompanyMonthCreate(_Provenance):
    """The company-level figures of one month: the published total, treasury and sales, and the
    operating figures a company publishes as its own totals (optional where sites are broken out)."""

    btc_mined_total: BtcAmount | None = None
    btc_held_end: BtcAmount | None = Field(default=None, le=Decimal("10000000"))
    btc_sold: BtcAmount | None = None
    btc_sold_proceeds_usd: Usd | None = None
    hashrate_avg_ehs: Hashrate | None = None
    hashrate_end_ehs: Hashrate | None = None
    hashrate_deployed_ehs: Hashrate | None = None
    fleet_efficiency_jth: Efficiency | None = None
    miners_deployed: Machines | None = None
    power_capacity_mw: PowerMw | None = None

    @model_validator(mode="after")
    def _proceeds_need_a_sale(self) -> CompanyMonthCreate:
        if self.btc_sold == 0 and self.btc_sold_proceeds_usd not in (None, Decimal(0)):
            raise _field_error("btc_sold_proceeds_usd", "proceeds are reported but no BTC was sold")
        return self


assert set(SiteMonthCreate.metric_names()) == set(SITE_METRICS)
assert set(CompanyMonthCreate.metric_names()) == set(COMPANY_METRICS) | set(COMPANY_OPERATING_METRICS)


def field_errors(exc: Any) -> dict[str, str]:
    """A pydantic ValidationError as {field: readable message}, one message per field."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        message = str(err.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        field = loc[-1] if loc else ""
        if not field or field == "__root__":
            head, sep, rest = message.partition(": ")
            field, message = (head, rest) if sep else ("", message)
        out.setdefault(field, _friendly(message, err))
    return out


def _friendly(message: str, err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("decimal_parsing", "decimal_type", "int_parsing", "int_type", "int_from_float"):
        return "must be a number" if kind.startswith("decimal") else "must be a whole number"
    if kind == "greater_than_equal":
        return "must not be negative" if str(ctx.get("ge")) == "0" else f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "decimal_max_places":
        return f"at most {ctx.get('decimal_places')} decimal places"
    if kind == "decimal_max_digits":
        return "too many digits"
    if kind == "extra_forbidden":
        return "unknown field"
    return message
