"""A release in a few plain sentences, written from its cards and its month's events (pure, no model).

"626 BTC mined, 6.3% fewer than December." · "Holdings rose by 44 BTC to 10,556 BTC." · "Events in January
2025: Winter storm curtailment (20 Jan)." Every number goes through app.domain.formatting, so a sentence
prints a figure exactly as the card beside it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from app.domain.formatting import format_change, format_figure
from app.domain.metrics import METRICS
from app.domain.release import Card, Change, lowered_label


class EventLike(Protocol):
    """What a sentence needs of an event (a stored Event row has it)."""

    @property
    def date(self) -> dt.date: ...

    @property
    def title(self) -> str: ...


def _pct(change: Change) -> str:
    assert change.pct is not None
    return format_change(abs(change.pct)).lstrip("+±")


def _month(change: Change) -> str:
    return f"{change.against:%B}"


def _mined(card: Card) -> str:
    figure = format_figure(card.value, card.metric)
    change = card.mom
    if change.pct is None:
        return f"{figure} mined."
    if round(change.pct, 1) == 0:
        return f"{figure} mined, as many as in {_month(change)}."
    word = "more" if change.pct > 0 else "fewer"
    return f"{figure} mined, {_pct(change)} {word} than {_month(change)}."


def _holdings(card: Card) -> str:
    figure = format_figure(card.value, card.metric)
    delta = card.mom.delta
    if delta is None:
        return f"Holdings stood at {figure} at month end."
    if delta == 0:
        return f"Holdings were unchanged at {figure}."
    word = "rose" if delta > 0 else "fell"
    return f"Holdings {word} by {format_figure(abs(delta), card.metric)} to {figure}."


def _level(card: Card) -> str:
    spec = METRICS[card.metric]
    figure = format_figure(card.value, card.metric)
    change = card.mom
    if change.pct is None:
        return f"{spec.label} was {figure}."
    if round(change.pct, 1) == 0:
        return f"{spec.label} was {figure}, unchanged from {_month(change)}."
    word = "up" if change.pct > 0 else "down"
    return f"{spec.label} was {figure}, {word} {_pct(change)} on {_month(change)}."


def _not_reported(card: Card) -> str:
    label = lowered_label(card.metric)
    if card.last_value is None or card.last_period is None:
        return f"The release did not report {label}."
    last = format_figure(card.last_value, card.metric)
    return f"The release did not report {label} (last reported: {last} in {card.last_period:%B %Y})."


def card_sentence(card: Card) -> str:
    """One card as a sentence: the figure and its change on the month before, or that it was not reported."""
    if card.value is None:
        return _not_reported(card)
    if card.metric == "btc_mined":
        return _mined(card)
    if card.metric == "btc_held_end":
        return _holdings(card)
    return _level(card)


def events_of_month(events: Sequence[EventLike], period: dt.date) -> list[EventLike]:
    """The events dated inside the month, in date order."""
    return sorted((e for e in events if (e.date.year, e.date.month) == (period.year, period.month)), key=_date)


def _date(event: EventLike) -> dt.date:
    return event.date


def events_sentence(events: Sequence[EventLike], period: dt.date) -> str | None:
    """'Events in January 2025: Winter storm curtailment (20 Jan).'; None for a month without events."""
    found = events_of_month(events, period)
    if not found:
        return None
    listed = "; ".join(f"{e.title} ({e.date.day} {e.date:%b})" for e in found)
    return f"Events in {period:%B %Y}: {listed}."


def summary_sentences(cards: Sequence[Card], events: Sequence[EventLike], period: dt.date) -> list[str]:
    """The release in sentences: each reported figure with its change, what it left out, then its events.

    The figures it reported come first, then those it did not, so the summary opens with what is new.
    """
    reported = [card_sentence(c) for c in cards if c.value is not None]
    missing = [card_sentence(c) for c in cards if c.value is None]
    sentences = reported + missing
    events_text = events_sentence(events, period)
    if events_text:
        sentences.append(events_text)
    return sentences
