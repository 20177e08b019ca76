"""Jinja environment with the number and date filters the pages use."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from app.domain.formatting import format_change, format_figure
from app.domain.metrics import METRICS
from app.http.assets import asset_url
from app.store.migrate import PROJECT_ROOT

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))


async def render_in_threadpool(request: Request, name: str, context: dict[str, Any], **kwargs: Any) -> Response:
    """A page rendered from `async` code (middleware, exception handlers) without blocking the event loop.

    Loading a template reads (or at least stats) its files and `asset_url` may hash a static file: file I/O
    that belongs on a worker thread, like every `def` route's rendering.
    """
    return await run_in_threadpool(templates.TemplateResponse, request, name, context, **kwargs)


def fmt_metric(value: Decimal | float | None, metric: str, with_unit: bool = True) -> str:
    """A figure as a release prints it (app.domain.formatting, the one formatter); — when missing."""
    return format_figure(value, metric, with_unit)


def fmt_change(value: Decimal | None) -> str:
    return format_change(value)


# The characters HTML reads inside a single-quoted attribute value (and the angle brackets, for good measure), as
# JSON's own escapes. In JSON text they can occur only inside strings, where `\u0027` means `'` to JSON.parse.
_ATTRIBUTE_SAFE = (("'", "\\u0027"), ("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"))


def figure_json(figure: dict[str, Any]) -> Markup:
    """A chart's Plotly figure for its single-quoted data-figure attribute (static/js/charts.js draws it), as
    JSON that needs no HTML escaping there. Escaped as HTML, every one of its double quotes took six bytes: a fifth
    of the ten-year overview's HTML, compressed on every build and parsed by every browser. Written once per
    finished chart: the card around it is kept (app.web.page_helpers.chart_card)."""
    text = json.dumps(figure, separators=(",", ":"), allow_nan=False)
    # One str.replace per character, not str.translate: translate looks every character up in a dict, 3.2 ms
    # for a 58 KB figure against 0.07 ms for the four replaces (each a C scan that copies only on a match).
    for char, escape in _ATTRIBUTE_SAFE:
        text = text.replace(char, escape)
    return Markup(text)


def fmt_month(value: dt.date | None) -> str:
    return "—" if value is None else f"{value:%B %Y}"


templates.env.filters["metric"] = fmt_metric
templates.env.filters["change"] = fmt_change
templates.env.filters["month"] = fmt_month
templates.env.filters["figure_json"] = figure_json
templates.env.globals["asset_url"] = asset_url
templates.env.globals["METRICS"] = METRICS
templates.env.filters["metric_label"] = lambda name: METRICS[name].label
templates.env.filters["month_name"] = lambda number: dt.date(2000, int(number), 1).strftime("%B")
