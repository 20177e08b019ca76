"""Which sites a company figure computed from sites covers (pure: no database, no request).

A company value summed (or averaged) over its sites is only the company's when every site that was operating
that month reported. When a site is missing, the sum is a partial one: 3.1 EH/s from two sites after 14.7 EH/s
from three is not a collapse, and a +609% month-over-month change between such sums is not a change at all.
Every such value carries a `Coverage`, and changes are only computed between values that cover the same sites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.domain import metrics as m
from app.domain.derived import ALTERNATIVE_INPUTS, DERIVED_INPUTS
from app.domain.enums import SiteStatus


@dataclass(frozen=True, slots=True)
class SiteLife:
    """When a site operates: from its energized month up to (not including) its retired month."""

    slug: str
    name: str
    energized: dt.date | None  # first month of operation; None: unknown
    retired: dt.date | None = None  # first month no longer operating; None: still operating
    # A site without a known energized month counts as operating from its first reported month, unless it
    # is still being planned or built (then it operates only once it reports).
    first_reported: dt.date | None = None
    status: SiteStatus = SiteStatus.operating

    def active_in(self, period: dt.date) -> bool:
        start = self.energized or self.first_reported
        if start is None:
            return False
        if period < _month(start):
            return False
        return self.retired is None or period < _month(self.retired)


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The sites behind one company value of one month."""

    sites_reported: tuple[str, ...]
    sites_active: tuple[str, ...]
    # The sites' names (slug, name), so the label can name them wherever the value travels; not part of what
    # the coverage is (two coverages of the same sites are equal whatever the names).
    names: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # Worked out once: every change between two months and every derived figure asks whether a value is whole.
    _missing: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reported = set(self.sites_reported)
        object.__setattr__(self, "_missing", tuple(s for s in self.sites_active if s not in reported))

    @property
    def missing(self) -> tuple[str, ...]:
        return self._missing

    @property
    def complete(self) -> bool:
        return not self._missing

    def label(self, names: Mapping[str, str] | None = None) -> str:
        """'2 of 3 sites (Wyoming missing)' for a partial value, '' for a complete one."""
        if self.complete:
            return ""
        covered = sum(1 for s in self.sites_reported if s in set(self.sites_active))
        known = dict(self.names) | dict(names or {})
        missing = ", ".join(known.get(s, s) for s in self.missing)
        total = len(self.sites_active)
        return f"{covered} of {total} site{'s' if total != 1 else ''} ({missing} not reported)"

    def as_json(self) -> dict[str, list[str]]:
        return {"sites_reported": list(self.sites_reported), "sites_active": list(self.sites_active)}


# The metrics whose company value can be a sum or weighted mean of the sites' figures.
SITE_AGGREGATES: tuple[str, ...] = tuple(
    name for name in m.SITE_METRICS if m.METRICS[name].aggregation in ("sum", "weighted_mean")
)


class MonthCoverages:
    """`month_coverage` for the months of one series: its sites' lives and names are read once, and every
    month whose figures cover the same sites shares one (immutable) Coverage."""

    def __init__(self, lives: Sequence[SiteLife]) -> None:
        self._names = tuple((life.slug, life.name) for life in lives)
        # (slug, first month operating, first month no longer operating) as SiteLife.active_in reads them.
        self._spans = [
            (life.slug, _month(start), None if life.retired is None else _month(life.retired))
            for life in lives
            if (start := life.energized or life.first_reported) is not None
        ]
        self._known: dict[tuple[tuple[str, ...], tuple[str, ...]], Coverage] = {}

    def active(self, period: dt.date) -> tuple[str, ...]:
        """The sites operating in `period` (SiteLife.active_in), in the order of the lives."""
        return tuple(slug for slug, lo, hi in self._spans if lo <= period and (hi is None or period < hi))

    def of_month(self, period: dt.date, reported: Mapping[str, Iterable[str]]) -> dict[str, Coverage]:
        """Coverage of each site aggregate of one month (see `month_coverage`)."""
        if not reported:
            return {}
        active = self.active(period)
        out: dict[str, Coverage] = {}
        for metric, slugs in reported.items():
            sites = tuple(slugs)
            key = (sites, active)
            found = self._known.get(key)
            if found is None:
                # A site reporting outside its recorded life still counts among the active ones that month: its
                # figure is in the sum, so the sum covers it.
                extra = tuple(s for s in sites if s not in active)
                found = Coverage(sites_reported=sites, sites_active=active + extra, names=self._names)
                self._known[key] = found
            out[metric] = found
        return out


def month_coverage(
    lives: Sequence[SiteLife], period: dt.date, reported: Mapping[str, Iterable[str]]
) -> dict[str, Coverage]:
    """Coverage of each site aggregate of one month.

    `reported` maps each metric that was summed from sites to the slugs of the sites that gave a value.
    Metrics absent from it (no site value, or a company-reported figure that wins) have no coverage.
    """
    return MonthCoverages(lives).of_month(period, reported)


def comparable_key(coverage: Coverage | None) -> frozenset[str] | None:
    """What two values must share to be compared: None for a whole-company value, else the sites covered."""
    if coverage is None or coverage.complete:
        return None
    return frozenset(coverage.sites_reported)


def narrowest(coverages: Iterable[Coverage | None]) -> Coverage | None:
    """The partial coverage of a figure computed from several inputs: the input covering the fewest sites."""
    partial = [c for c in coverages if c is not None and not c.complete]
    return min(partial, key=lambda c: len(c.sites_reported)) if partial else None


def _from_sites(metric: str) -> bool:
    inputs = (*DERIVED_INPUTS.get(metric, ()), *ALTERNATIVE_INPUTS.get(metric, ()))
    return any(i in SITE_AGGREGATES for i in inputs)


# Every metric whose company value can be partial: the site aggregates and the derived metrics computed from
# them. CSVs carry a coverage column for each of these (empty for a whole-company value).
COVERABLE: tuple[str, ...] = tuple(name for name in m.METRICS if name in SITE_AGGREGATES or _from_sites(name))


def coverage_text(coverage: Coverage | None) -> str | None:
    """The CSV cell: '2 of 3 sites (South not reported)' for a partial value, None (empty) for a whole one."""
    return coverage.label() or None if coverage is not None else None


def partial_label(coverage: Mapping[str, Coverage], metric: str) -> str:
    """A month's value of one metric in words when it covers only some sites; '' when it is the whole company's."""
    found = coverage.get(metric)
    return found.label() if found is not None else ""


def not_comparable(
    current: Coverage | None, earlier: Coverage | None, *, current_month: str, earlier_month: str
) -> str:
    """Why two values of the same metric give no change ('' when they cover the same sites).

    'not comparable: March 2025 covers 2 of 3 sites' — the month named is the partial one (both when both are,
    with different sites).
    """
    if comparable_key(current) == comparable_key(earlier):
        return ""
    parts = [
        f"{month} covers {cov.label().split(' (')[0]}"
        for month, cov in ((current_month, current), (earlier_month, earlier))
        if cov is not None and not cov.complete
    ]
    return "not comparable: " + ", ".join(parts)
