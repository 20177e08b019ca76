"""The table behind a chart: one row per month, newest first, each figure exact, as read, and with its marks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.domain.charts import Chart, Point, Series
from app.domain.figure_sources import FigureSource
from app.web.chart_table import table_rows

RELEASE = FigureSource("https://example.test/release", False)
ESTIMATE = FigureSource(None, True, quote="about")
PERIODS = [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]


def _chart() -> Chart:
    btc = Series(
        "btc_mined",
        "BTC mined",
        "btc_mined",
        (Point(Decimal("1.50"), (RELEASE,)), Point(None), Point(Decimal("-0"), (ESTIMATE,))),
    )
    hashrate = Series(
        "hashrate_avg_ehs",
        "Average",
        "hashrate_avg_ehs",
        (
            Point(Decimal("0.0"), (RELEASE,)),
            Point(
                Decimal("1.5"),
                (RELEASE,),
                "Revised 2025-03-04 by editor: 1 → 1.5 EH/s",
                "1 of 2 sites (B not reported)",
            ),
            Point(Decimal("16.250000"), (RELEASE,)),
        ),
    )
    return Chart("t", "Test", "BTC", PERIODS, [btc, hashrate])


LINK = ' <a class="src" href="https://example.test/release" rel="noopener nofollow" title="https://example.test/release">example.test</a>'
EXPECTED = [
    '<tr><th scope="row">2025-03</th>'
    '<td data-value="-0">−0 <abbr class="flag flag-est" '
    'title="Estimate: unaudited, or its source could not be verified">est.</abbr></td>'
    f'<td data-value="16.25">16.25{LINK}</td></tr>',
    '<tr><th scope="row">2025-02</th><td data-value="">—</td>'
    '<td data-value="1.5">1.5 '
    '<abbr class="flag flag-rev" title="Revised 2025-03-04 by editor: 1 → 1.5 EH/s">rev.</abbr>'
    ' <abbr class="flag flag-part" title="Partial: 1 of 2 sites (B not reported)">1 of 2 sites</abbr>'
    f"{LINK}</td></tr>",
    f'<tr><th scope="row">2025-01</th><td data-value="1.5">1.5{LINK}</td><td data-value="0">0.0{LINK}</td></tr>',
]


def test_rows_newest_first_with_exact_values_and_marks() -> None:
    rows = table_rows(_chart())
    assert [r.period for r in rows] == PERIODS[::-1]
    assert [str(r.html) for r in rows] == EXPECTED


def test_a_limit_keeps_the_latest_months() -> None:
    assert [str(r.html) for r in table_rows(_chart(), 2)] == EXPECTED[:2]


def test_the_same_value_reads_per_its_own_column_and_zero_keeps_its_sign() -> None:
    # 1.5 is formatted first as BTC, then as EH/s, then as a USD figure with two decimals: each its own text.
    usd = Series(
        "mining_revenue_usd",
        "Revenue",
        "mining_revenue_usd",
        tuple(Point(Decimal(v)) for v in ("1.5", "0", "-0")),
        decimals_override=2,
    )
    chart = Chart("u", "U", "USD", PERIODS, [usd])
    cells = [str(r.html) for r in table_rows(_chart())] + [str(r.html) for r in table_rows(chart)]
    assert cells[-1] == '<tr><th scope="row">2025-01</th><td data-value="1.5">1.50</td></tr>'
    assert cells[-2] == '<tr><th scope="row">2025-02</th><td data-value="0">0.00</td></tr>'
    assert cells[-3] == '<tr><th scope="row">2025-03</th><td data-value="-0">−0.00</td></tr>'


def test_a_chart_without_series_still_lists_its_months() -> None:
    rows = table_rows(Chart("e", "Empty", "BTC", PERIODS, []), 1)
    assert [str(r.html) for r in rows] == ['<tr><th scope="row">2025-03</th></tr>']
