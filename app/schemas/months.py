"""Write schemas for monthly figures: what the staff forms, the CSV import and the API accept.

Every metric is optional (a missing figure is missing, not zero), an exact Decimal with the sign and the
plausible range the metric dictionary gives it; the precision matches the database column so nothing is
rounded silently. A figure given as text (a form field, a CSV cell, a JSON string) is read by
`app.domain.numbers.parse_number`: "13,603", "$1,234" for USD, "95%" for percentages.
Rules that need the database (month not in the future, the site's company, the treasury roll-forward)
live in `app.store.queries.months`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.domain.metrics import COMPANY_METRICS, COMPANY_OPERATING_METRICS, METRICS, SITE_METRICS, check_value
from app.domain.numbers import parse_number

# Precision follows app.store.models, so nothing is rounded silently. The sign and the plausible range of
# each figure come from the metric dictionary (`_bounds`), checked by `_read_figure` with a message that
# names the metric and its unit; the same bounds go into the JSON schema.
BtcAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=8)]
Hashrate = Annotated[Decimal, Field(max_digits=14, decimal_places=6)]
Efficiency = Annotated[Decimal, Field(max_digits=8, decimal_places=3)]
Machines = int
PowerMw = Annotated[Decimal, Field(max_digits=10, decimal_places=3)]
EnergyMwh = Annotated[Decimal, Field(max_digits=14, decimal_places=3)]
PowerCost = Annotated[Decimal, Field(max_digits=8, decimal_places=5)]
Percent = Annotated[Decimal, Field(max_digits=6, decimal_places=3)]
Hours = Annotated[Decimal, Field(max_digits=8, decimal_places=2)]
Usd = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
# Metrics stored as whole numbers: a typed "13,603" becomes the int 13603.
_WHOLE_NUMBERS = frozenset({"miners_deployed"})


def _bounds(name: str) -> Any:
    """The field's default (missing) with the dictionary's range, for the JSON schema and as a last guard."""
    spec = METRICS[name]
    assert spec.bounds is not None, f"{name} has no range in the metric dictionary"
    # Whole bounds as ints: the OpenAPI document is plain JSON (a Decimal would not serialise there).
    low, high = (int(b) if b == b.to_integral_value() else b for b in spec.bounds)
    return Field(default=None, ge=low, le=high)


def read_figure(name: str, value: Any) -> Any:
    """A figure as given (text typed by a person, a JSON number, a Decimal) -> its value, checked against the
    dictionary's sign and range rules. Text goes through the one number reader (app.domain.numbers)."""
    if isinstance(value, str):
        value = parse_number(value, METRICS[name].unit)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return value  # None, or something pydantic refuses with its own message
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{METRICS[name].label} must be a finite number")
    problem = check_value(name, value)
    if problem:
        raise ValueError(problem)
    if name in _WHOLE_NUMBERS and isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"{METRICS[name].label} must be a whole number of {METRICS[name].unit}")
        return int(value)
    return value


NOTE_MAX = 5000
URL_MAX = 2000

# Metric -> (label used in messages) for the cross-field rules below.
_HASHRATE_PAIRS = (
    ("hashrate_avg_ehs", "average hashrate"),
    ("hashrate_end_ehs", "month-end hashrate"),
)


class _Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=NOTE_MAX)
    source_url: str | None = Field(default=None, max_length=URL_MAX, examples=["https://example.com/release"])
    is_estimate: bool = False

    @field_validator("*", mode="before")
    @classmethod
    def _read_figure(cls, value: Any, info: ValidationInfo) -> Any:
        return read_figure(info.field_name, value) if info.field_name in METRICS else value

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
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
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

    btc_mined: BtcAmount | None = _bounds("btc_mined")
    hashrate_avg_ehs: Hashrate | None = _bounds("hashrate_avg_ehs")
    hashrate_end_ehs: Hashrate | None = _bounds("hashrate_end_ehs")
    hashrate_deployed_ehs: Hashrate | None = _bounds("hashrate_deployed_ehs")
    fleet_efficiency_jth: Efficiency | None = _bounds("fleet_efficiency_jth")
    miners_deployed: Machines | None = _bounds("miners_deployed")
    power_capacity_mw: PowerMw | None = _bounds("power_capacity_mw")
    energy_mwh: EnergyMwh | None = _bounds("energy_mwh")
    power_cost_usd_kwh: PowerCost | None = _bounds("power_cost_usd_kwh")
    uptime_pct: Percent | None = _bounds("uptime_pct")
    curtailment_hours: Hours | None = _bounds("curtailment_hours")
    power_credits_usd: Usd | None = _bounds("power_credits_usd")


class CompanyMonthCreate(_Provenance):
    """The company-level figures of one month: the published total, treasury and sales, and the
    operating figures a company publishes as its own totals (optional where sites are broken out)."""

    btc_mined_total: BtcAmount | None = _bounds("btc_mined_total")
    btc_held_end: BtcAmount | None = _bounds("btc_held_end")
    btc_sold: BtcAmount | None = _bounds("btc_sold")
    btc_sold_proceeds_usd: Usd | None = _bounds("btc_sold_proceeds_usd")
    hashrate_avg_ehs: Hashrate | None = _bounds("hashrate_avg_ehs")
    hashrate_end_ehs: Hashrate | None = _bounds("hashrate_end_ehs")
    hashrate_deployed_ehs: Hashrate | None = _bounds("hashrate_deployed_ehs")
    fleet_efficiency_jth: Efficiency | None = _bounds("fleet_efficiency_jth")
    miners_deployed: Machines | None = _bounds("miners_deployed")
    power_capacity_mw: PowerMw | None = _bounds("power_capacity_mw")

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
        out.setdefault(field, _friendly(message, err, field))
    return out


def _friendly(message: str, err: dict[str, Any], field: str = "") -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    spec = METRICS.get(field)
    if spec is not None and kind == "decimal_max_places":
        return f"{spec.label} takes at most {ctx.get('decimal_places')} decimal places ({spec.unit})"
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
