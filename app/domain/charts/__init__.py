"""Charts built from monthly series (pure: no database, no request).

Each chart is a `Chart`: the series it draws with their exact decimals and provenance, and the Plotly figure
dict drawn from those same series. The page's table and the CSV download read the series, so they show
exactly what the chart shows. Missing months are ``None``: Plotly draws a gap, tables show "—".

`figure` holds the model and the Plotly plumbing, `points` a series' points from the months, `kept` the
finished charts kept between builds, `layout` the axes and events; `company`, `market`, `site` and
`compare` the charts of each page; `sparkline` the small inline SVG lines of the company list.
"""

from app.domain.charts.alt_text import alt_text
from app.domain.charts.company import (
    OVERVIEW_CHARTS,
    btc_mined_chart,
    efficiency_chart,
    hashrate_chart,
    overview_charts,
    yield_chart,
)
from app.domain.charts.compare import NORMALISATIONS, PER_EHS_METRICS, compare_chart
from app.domain.charts.figure import PALETTE, Chart, Point, Series, colour, fmt
from app.domain.charts.layout import events_in
from app.domain.charts.market import hashprice_chart, realized_chart, revenue_chart, share_chart, treasury_chart
from app.domain.charts.site import site_btc_chart, site_charts, site_efficiency_chart, site_hashrate_chart
from app.domain.charts.sparkline import Sparkline, sparkline

__all__ = [
    "NORMALISATIONS",
    "OVERVIEW_CHARTS",
    "PALETTE",
    "PER_EHS_METRICS",
    "Chart",
    "Point",
    "Series",
    "Sparkline",
    "alt_text",
    "btc_mined_chart",
    "colour",
    "compare_chart",
    "efficiency_chart",
    "events_in",
    "fmt",
    "hashprice_chart",
    "hashrate_chart",
    "overview_charts",
    "realized_chart",
    "revenue_chart",
    "share_chart",
    "site_btc_chart",
    "site_charts",
    "site_efficiency_chart",
    "site_hashrate_chart",
    "sparkline",
    "treasury_chart",
    "yield_chart",
]
