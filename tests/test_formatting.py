"""The one number formatter: figures as releases print them, the same however a value is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.formatting import format_figure, format_number


@pytest.mark.parametrize(
    ("stored", "unit", "decimals", "shown"),
    [
        ("587.00000000", "BTC", 8, "587"),
        ("10556", "BTC", 8, "10,556"),
        ("12.50000000", "BTC", 8, "12.5"),
        ("1E+3", "BTC", 8, "1,000"),
        ("16.250000", "EH/s", 2, "16.25"),
        ("39.125", "EH/s", 2, "39.13"),
        ("39", "EH/s", 2, "39.0"),
        ("-12.345", "USD", 2, "−12.35"),
        ("1080987391.12", "USD", 2, "1,080,987,391.12"),
    ],
)
def test_figures_read_as_released(stored: str, unit: str, decimals: int, shown: str) -> None:
    # Twice: the second answer may come from the remembered one and must not differ.
    assert format_number(Decimal(stored), unit, decimals) == shown
    assert format_number(Decimal(stored), unit, decimals) == shown


def test_equal_values_stored_differently_read_the_same_in_either_order() -> None:
    for first, second in (("1.50", "1.5"), ("2.7", "2.700000"), ("5E+2", "500.00")):
        for unit in ("BTC", "EH/s", "J/TH"):
            a = format_number(Decimal(first), unit, 2)
            b = format_number(Decimal(second), unit, 2)
            assert a == b
            assert format_number(Decimal(second), unit, 2) == b


def test_zero_keeps_its_sign_whichever_was_formatted_first() -> None:
    # −0 equals 0 (and hashes like it), but a negative zero reads "−0.00": they must never share an answer.
    assert format_number(Decimal("0.00"), "USD", 2) == "0.00"
    assert format_number(Decimal("-0"), "USD", 2) == "−0.00"
    assert format_number(Decimal("-0.0"), "BTC", 8) == "−0"
    assert format_number(Decimal("0"), "BTC", 8) == "0"


def test_the_unit_and_decimals_are_part_of_the_answer() -> None:
    value = Decimal("1234.5678")
    assert format_number(value, "USD", 2) == "1,234.57"
    assert format_number(value, "USD", 0) == "1,235"
    assert format_number(value, "BTC", 2) == "1,234.5678"
    assert format_number(value, "EH/s", 2) == "1,234.57"


def test_non_decimal_and_non_finite_values() -> None:
    assert format_number(1.5, "USD", 2) == "1.50"
    assert format_number(3, "BTC") == "3"
    assert format_number(Decimal("NaN"), "USD", 2) == "NaN"
    assert format_number(Decimal("Infinity"), "BTC") == "Infinity"
    assert format_figure(None, "btc_mined") == "—"
    assert format_figure(Decimal("626.00000000"), "btc_mined") == "626 BTC"
