"""A small line of recent months for the company list, as inline SVG drawn on the server (no script, no CSP
exception). Gaps break the line; a month alone between gaps is a dot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Sparkline:
    width: int
    height: int
    paths: list[str] = field(default_factory=list)  # SVG path data, one per run of months without a gap
    dots: list[tuple[float, float]] = field(default_factory=list)  # lone months, and the latest figure
    known: int = 0  # months with a figure
    months: int = 0

    @property
    def empty(self) -> bool:
        return self.known == 0


def sparkline(values: Sequence[Decimal | None], width: int = 120, height: int = 28, pad: float = 2.5) -> Sparkline:
    """Scale `values` (oldest first) into a width × height box; the axis starts at zero so sizes compare."""
    known = [v for v in values if v is not None]
    if not known:
        return Sparkline(width, height, months=len(values))
    top = max(max(known), Decimal(0)) or Decimal(1)
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return round(pad + i * step, 1), round(height - pad - float(v / top) * (height - 2 * pad), 1)

    paths: list[str] = []
    dots: list[tuple[float, float]] = []
    run: list[tuple[float, float]] = []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(xy(i, v))
            continue
        if len(run) == 1:
            dots.append(run[0])
        elif run:
            paths.append("M" + " L".join(f"{x},{y}" for x, y in run))
        run = []
    last = max(i for i, v in enumerate(values) if v is not None)
    last_point = xy(last, Decimal(values[last] or 0))
    if last_point not in dots:
        dots.append(last_point)
    return Sparkline(width, height, paths, dots, len(known), len(values))
