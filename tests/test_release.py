"""The release (pure): which month, its cards and comparisons, the revised mark, its sentences, the number
formatter and the Atom feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest

from app.domain.coverage import Coverage
from app.domain.figure_history import Revision as HistoryRevision
from app.domain.figure_sources import FigureSource
from app.domain.formatting import format_change, format_figure, format_number, label_with_unit
from app.domain.release import (
    ReleaseInfo,
    figure_revision,
    pick_release,
    release_cards,
    release_source,
    selected_sites_series,
)
from app.domain.release_feed import FeedEntry, atom_feed, correction_id, release_id
from app.domain.release_summary import card_sentence, events_sentence, summary_sentences
from app.domain.reports import MonthView, SiteFigures

JAN, FEB, MAR = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
DEC = dt.date(2024, 12, 1)
AT = dt.datetime(2025, 2, 3, 13, 0, tzinfo=dt.UTC)


def view(period: dt.date, **values: str | None) -> MonthView:
    return MonthView(period=period, values={k: Decimal(v) if v is not None else None for k, v in values.items()})


def card(views: list[MonthView], period: dt.date, metric: str):
    return next(c for c in release_cards(views, period) if c.metric == metric)


# --- which release ---------------------------------------------------------------------------------------


def test_the_latest_release_inside_the_range_is_picked() -> None:
    releases = [ReleaseInfo(DEC, AT), ReleaseInfo(JAN, AT), ReleaseInfo(MAR, AT)]
    assert pick_release(releases, (DEC, MAR)).period == MAR
    # The range ends in February: March is outside it, February has no release, January is the one.
    assert pick_release(releases, (DEC, FEB)).period == JAN
    assert pick_release(releases, (FEB, FEB)) is None
    assert pick_release(releases, None) is None


def test_a_release_asked_for_is_found_only_if_published() -> None:
    releases = [ReleaseInfo(DEC, AT), ReleaseInfo(JAN, AT)]
    assert pick_release(releases, (DEC, JAN), DEC).period == DEC
    assert pick_release(releases, (DEC, JAN), FEB) is None


def test_a_correction_is_a_revision_after_publishing() -> None:
    assert ReleaseInfo(JAN, AT, AT + dt.timedelta(days=30), "restated").corrected
    assert not ReleaseInfo(JAN, AT).corrected


def test_the_source_names_its_publisher_and_title() -> None:
    url = (
        "https://www.globenewswire.com/news-release/2025/02/03/1/0/en/"
        "CleanSpark-Releases-January-2025-Bitcoin-Mining-Update.html"
    )
    source = release_source(url)
    assert source is not None
    assert source.publisher == "globenewswire.com"
    assert source.title == "CleanSpark Releases January 2025 Bitcoin Mining Update"
    bare = release_source("https://www.cleanspark.com/bitcoin-operations")
    assert bare is not None and bare.publisher == "cleanspark.com" and bare.title is None
    assert release_source(None) is None and release_source("not a url") is None


# --- cards -----------------------------------------------------------------------------------------------


def test_every_card_is_of_the_release_month_and_a_missing_figure_says_when_it_was_last_reported() -> None:
    views = [
        view(DEC, btc_mined="668", btc_held_end="10512", hashrate_avg_ehs="39"),
        view(JAN, btc_mined="626", btc_held_end="10556"),
    ]
    cards = release_cards(views, JAN)
    assert {c.period for c in cards} == {JAN}
    hashrate = next(c for c in cards if c.metric == "hashrate_avg_ehs")
    assert hashrate.value is None
    assert (hashrate.last_value, hashrate.last_period) == (Decimal("39"), DEC)
    mined = next(c for c in cards if c.metric == "btc_mined")
    assert mined.value == Decimal("626")
    assert mined.mom.pct is not None and round(mined.mom.pct, 1) == Decimal("-6.3")
    assert mined.yoy.pct is None and "January 2024" in (mined.yoy.reason or "")


def test_no_change_across_a_coverage_change() -> None:
    two = Coverage(("a", "b"), ("a", "b", "c"))
    dec = view(DEC, hashrate_avg_ehs="14.7")
    jan = view(JAN, hashrate_avg_ehs="3.1")
    jan.coverage = {"hashrate_avg_ehs": two}
    hashrate = card([dec, jan], JAN, "hashrate_avg_ehs")
    assert hashrate.mom.pct is None
    assert "not comparable" in (hashrate.mom.reason or "")
    assert hashrate.coverage_note == "2 of 3 sites (c not reported)"
    # The same two sites the month before: a change again.
    dec.coverage = {"hashrate_avg_ehs": two}
    assert card([dec, jan], JAN, "hashrate_avg_ehs").mom.pct is not None


def test_only_figures_that_were_corrected_are_marked() -> None:
    at = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    fix = HistoryRevision("btc_mined", "a", Decimal("4"), Decimal("5"), at, "editor", "typo")
    corrected = FigureSource("https://example.test/r", False, revisions=(fix,))
    plain = FigureSource("https://example.test/r", False)
    month = MonthView(
        period=JAN,
        values={"btc_mined": Decimal("5"), "hashrate_avg_ehs": Decimal("1"), "btc_held_end": Decimal("10")},
        sources={"btc_mined": corrected, "hashrate_avg_ehs": plain, "btc_held_end": plain},
    )
    assert figure_revision(month, "btc_mined") == (at, "typo")
    # The month's other figures were not corrected: no mark, although they share the month and the source.
    assert figure_revision(month, "btc_held_end") is None and figure_revision(month, "hashrate_avg_ehs") is None
    # A derived figure is revised when one of its inputs was.
    assert figure_revision(month, "btc_per_ehs_day") == (at, "typo")
    (mined,) = release_cards([month], JAN, metrics=("btc_mined",))
    assert mined.revision_note is not None and "4 BTC → 5 BTC" in mined.revision_note and "typo" in mined.revision_note


def test_the_cards_of_several_sites_sum_their_figures() -> None:
    a = SiteFigures("a", {"btc_mined": Decimal("5"), "hashrate_avg_ehs": Decimal("1")}, {}, False)
    b = SiteFigures("b", {"btc_mined": Decimal("7.5"), "hashrate_avg_ehs": Decimal("2")}, {}, False)
    c = SiteFigures("c", {"btc_mined": Decimal("100"), "hashrate_avg_ehs": Decimal("9")}, {}, False)
    month = MonthView(period=JAN, values={"btc_mined": Decimal("112.5")}, sites={"a": a, "b": b, "c": c})
    (chosen,) = selected_sites_series([month], ["a", "b"])
    assert chosen.values["btc_mined"] == Decimal("12.5")
    assert chosen.values["hashrate_avg_ehs"] == Decimal("3")
    (one,) = selected_sites_series([month], ["c"])
    assert one.values["btc_mined"] == Decimal("100")


# --- sentences -------------------------------------------------------------------------------------------


def test_summary_sentences() -> None:
    views = [
        view(DEC, btc_mined="668", btc_held_end="10512", fleet_efficiency_jth="16.5"),
        view(JAN, btc_mined="626", btc_held_end="10556"),
    ]
    events = [SimpleNamespace(date=dt.date(2025, 1, 20), title="Winter storm curtailment")]
    sentences = summary_sentences(release_cards(views, JAN), events, JAN)
    assert sentences[0] == "626 BTC mined, 6.3% fewer than December."
    assert "Holdings rose by 44 BTC to 10,556 BTC." in sentences
    assert "The release did not report fleet efficiency (last reported: 16.50 J/TH in December 2024)." in sentences
    assert sentences[-1] == "Events in January 2025: Winter storm curtailment (20 Jan)."


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("600", "626", "626 BTC mined, 4.3% more than December."),
        ("626", "626", "626 BTC mined, as many as in December."),
        (None, "626", "626 BTC mined."),
    ],
)
def test_mined_sentence(before: str | None, after: str, expected: str) -> None:
    views = [view(DEC, btc_mined=before), view(JAN, btc_mined=after)]
    assert card_sentence(card(views, JAN, "btc_mined")) == expected


def test_holdings_that_fell_and_a_level_that_went_up() -> None:
    views = [
        view(DEC, btc_held_end="10600", hashrate_avg_ehs="40"),
        view(JAN, btc_held_end="10556.5", hashrate_avg_ehs="41"),
    ]
    assert card_sentence(card(views, JAN, "btc_held_end")) == "Holdings fell by 43.5 BTC to 10,556.5 BTC."
    assert card_sentence(card(views, JAN, "hashrate_avg_ehs")) == (
        "Average operating hashrate was 41.0 EH/s, up 2.5% on December."
    )


def test_events_of_other_months_are_not_in_the_release() -> None:
    events = [SimpleNamespace(date=dt.date(2025, 2, 1), title="Next month"), SimpleNamespace(date=DEC, title="Before")]
    assert events_sentence(events, JAN) is None


# --- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "metric", "expected"),
    [
        ("587.00000000", "btc_mined", "587 BTC"),
        ("12.50000000", "btc_mined", "12.5 BTC"),
        ("10556", "btc_held_end", "10,556 BTC"),
        ("0.00012345", "btc_sold", "0.00012345 BTC"),
        ("39.125", "hashrate_avg_ehs", "39.13 EH/s"),
        ("16", "hashrate_avg_ehs", "16.0 EH/s"),
        ("1234567", "energy_mwh", "1,234,567 MWh"),
    ],
)
def test_figures_as_a_release_prints_them(value: str, metric: str, expected: str) -> None:
    assert format_figure(Decimal(value), metric) == expected


def test_changes_are_signed_with_a_real_minus() -> None:
    assert format_change(Decimal("6.25")) == "+6.3%"
    assert format_change(Decimal("-6.3")) == "\u22126.3%"
    assert format_change(Decimal("0.01")) == "±0.0%"
    assert format_change(None) == "—"
    assert format_figure(None, "btc_mined") == "—"
    assert format_number(Decimal("-5"), "USD", 0) == "\u22125"
    assert label_with_unit("btc_mined") == "BTC mined (BTC)"


# --- Atom ------------------------------------------------------------------------------------------------

NS = {"a": "http://www.w3.org/2005/Atom"}


def test_the_feed_is_valid_atom_with_stable_ids() -> None:
    later = AT + dt.timedelta(days=30)
    entries = [
        FeedEntry(release_id("acme", JAN), "January 2025 release", AT, "http://x/companies/acme?release=2025-01", "s"),
        FeedEntry(
            correction_id("acme", JAN, later), "January 2025 corrected", later, "http://x/c?release=2025-01", "c"
        ),
    ]
    body = atom_feed(
        feed_id="tag:minedash,2025:acme/releases",
        title="Acme releases",
        self_url="http://x/companies/acme/releases.atom",
        page_url="http://x/companies/acme",
        entries=entries,
        fallback_updated=AT,
    )
    root = ET.fromstring(body)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"a:{name}", NS) is not None and root.find(f"a:{name}", NS).text
    assert root.find("a:link[@rel='self']", NS).get("href") == "http://x/companies/acme/releases.atom"
    assert root.find("a:updated", NS).text == "2025-03-05T13:00:00Z"  # the newest entry
    found = root.findall("a:entry", NS)
    assert len(found) == 2
    for entry in found:
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"a:{name}", NS) is not None and entry.find(f"a:{name}", NS).text
        assert entry.find("a:link", NS).get("href")
        assert entry.find("a:id", NS).text.startswith("tag:minedash,2025:acme/")
    assert found[0].find("a:id", NS).text == "tag:minedash,2025:acme/correction/2025-01/20250305T130000Z"
    assert release_id("acme", JAN) == "tag:minedash,2025:acme/release/2025-01"


def test_a_release_of_month_end_hashrate_shows_it_in_the_hashrate_card() -> None:
    dec = view(DEC, hashrate_end_ehs="36.0")
    jan = view(JAN, hashrate_end_ehs="40.1", btc_mined="626")
    metrics = [c.metric for c in release_cards([dec, jan], JAN)]
    assert "hashrate_end_ehs" in metrics and "hashrate_avg_ehs" not in metrics
    end = card([dec, jan], JAN, "hashrate_end_ehs")
    assert end.value == Decimal("40.1") and end.mom.pct is not None
    # A release with the month's average keeps the average; one with neither says the average was not reported.
    assert card([view(JAN, hashrate_avg_ehs="39", hashrate_end_ehs="40")], JAN, "hashrate_avg_ehs").value == 39
    assert card([view(JAN, btc_mined="626")], JAN, "hashrate_avg_ehs").value is None
