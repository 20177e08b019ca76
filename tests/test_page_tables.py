"""Tables and lists built in Python for the investor pages: the same HTML the templates rendered cell by cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.domain.figure_sources import FigureSource
from app.domain.metrics import METRICS
from app.domain.quarters import Quarter
from app.domain.release import ReleaseInfo
from app.domain.reports import MonthView
from app.web.page_tables import month_rows, quarter_cells, quarter_row, release_options

RELEASE = FigureSource("https://example.test/release", False)
ESTIMATE = FigureSource(None, True)
PERIODS = [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]


def test_site_month_rows_newest_first_with_flags_from_each_source() -> None:
    def view(period: dt.date, mined: str | None, efficiency: str | None, src: FigureSource) -> MonthView:
        values = dict.fromkeys(METRICS) | {
            "btc_mined": None if mined is None else Decimal(mined),
            "fleet_efficiency_jth": None if efficiency is None else Decimal(efficiency),
        }
        return MonthView(period, values, sources={"btc_mined": src, "fleet_efficiency_jth": RELEASE})

    illustrative = FigureSource(None, True, is_illustrative=True)
    views = [
        view(PERIODS[0], "62.50000000", "18", illustrative),
        view(PERIODS[1], None, "17.456", ESTIMATE),
        view(PERIODS[2], "1000", None, ESTIMATE),
    ]
    rows = [str(r) for r in month_rows(views, ["btc_mined", "fleet_efficiency_jth"])]
    assert rows == [
        '<tr><th scope="row">2025-03</th><td data-value="1000">1,000 '
        '<abbr class="flag flag-est" title="Estimate">est.</abbr></td><td data-value="">—</td></tr>',
        '<tr><th scope="row">2025-02</th><td data-value="">—</td><td data-value="17.456">17.46</td></tr>',
        '<tr><th scope="row">2025-01</th><td data-value="62.5">62.5 '
        '<abbr class="flag flag-ill" title="Illustrative split">ill.</abbr></td><td data-value="18">18.00</td></tr>',
    ]


def test_quarter_cells_count_the_months_behind_flows_but_not_behind_stocks() -> None:
    quarter = Quarter(
        2025,
        1,
        PERIODS[0],
        "Q1 2025",
        PERIODS,
        [],
        values={"btc_mined": Decimal("120.50000000"), "btc_held_end": Decimal("10556"), "btc_sold": None},
        coverage={"btc_mined": 2, "btc_held_end": 1, "btc_sold": 0},
    )
    cells = [str(c) for c in quarter_cells(quarter, ["btc_mined", "btc_held_end", "btc_sold"])]
    assert cells == [
        '<td data-value="120.5">120.5<span class="coverage" '
        'title="2 of the quarter\'s 3 months have this figure">2/3</span></td>',
        '<td data-value="10556">10,556</td>',
        '<td data-value="">—</td>',
    ]


def test_a_quarter_row_names_its_months_and_the_ones_missing() -> None:
    values = {"btc_mined": Decimal("120.5")}
    whole = Quarter(2025, 1, PERIODS[0], "Q1 <2025>", PERIODS, [], values=values, coverage={"btc_mined": 3})
    row = str(quarter_row(whole, ["btc_mined"]))
    assert row == (
        '<tr data-quarter="Q1 &lt;2025&gt;"><th scope="row">Q1 &lt;2025&gt; <span class="muted">'
        f"{PERIODS[0]:%b %Y}–{PERIODS[-1]:%b %Y}</span></th>"
        '<td data-value="120.5">120.5</td></tr>'
    )
    gap = Quarter(2025, 1, PERIODS[0], "Q1", PERIODS, [PERIODS[1]], values=values, coverage={"btc_mined": 2})
    row = str(quarter_row(gap, ["btc_mined"]))
    assert row.startswith('<tr data-quarter="Q1" class="incomplete">')
    assert f'title="No release for {PERIODS[1]:%B %Y}">incomplete: 2 of 3 months</span></th>' in row


def test_release_options_mark_the_shown_release_and_corrections() -> None:
    published = dt.datetime(2025, 2, 3, tzinfo=dt.UTC)
    releases = [
        ReleaseInfo(PERIODS[1], published, revised_at=published + dt.timedelta(days=3)),
        ReleaseInfo(PERIODS[0], published),
    ]
    assert str(release_options(releases, PERIODS[0])) == (
        '<option value="2025-02">February 2025 (corrected)</option>'
        '<option value="2025-01" selected>January 2025</option>'
    )
    # Kept by what they show: the same months again give the same options; a new correction, new ones.
    assert release_options(list(releases), PERIODS[0]) is release_options(releases, PERIODS[0])
    releases[1] = ReleaseInfo(PERIODS[0], published, revised_at=published + dt.timedelta(days=9))
    assert str(release_options(releases, PERIODS[1])) == (
        '<option value="2025-02" selected>February 2025 (corrected)</option>'
        '<option value="2025-01">January 2025 (corrected)</option>'
    )
