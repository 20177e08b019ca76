"""The API's exact number text (app.api.common.decimal_text, encode_json): examples, and a property checked by
hypothesis (derandomized) against the plain definition: the decimal's positional digits, trailing zeros
dropped, more than ten places rounded to ten."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.api.common import decimal_text, encode_json

QUANTUM = Decimal("1e-10")


def reference_text(value: Decimal) -> str:
    """The definition, written the slow and obvious way."""
    text = format(value, "f")
    if "." in text and len(text.split(".")[1]) > 10:
        text = format(value.quantize(QUANTUM), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("626.00000000"), "626"),
        (Decimal("10556"), "10556"),
        (Decimal("-3.2000"), "-3.2"),
        (Decimal("1E+2"), "100"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("0.000000123456"), "0.0000001235"),
        (Decimal("0.123456789012345678901234"), "0.123456789"),
        (Decimal("-0.000"), "0"),
        (Decimal("-0E-12"), "0"),
    ],
)
def test_examples(value: Decimal, text: str) -> None:
    assert decimal_text(value) == text


@settings(derandomize=True, max_examples=1000)
# Figures as stored: at most 28 significant digits (the context's precision, which quantize needs).
@given(st.decimals(min_value=Decimal("-1e17"), max_value=Decimal("1e17"), allow_nan=False, allow_infinity=False))
def test_matches_the_definition(value: Decimal) -> None:
    assert decimal_text(value) == reference_text(value)


def test_encode_json_is_exact_and_valid() -> None:
    body = {
        "a": [Decimal("0.12345678"), None, True, 3, 1.5, 'é"x'],
        "b": {"when": dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "day": dt.date(2025, 1, 1)},
        "c": (Decimal("1E+3"),),
    }
    text = encode_json(body).decode()
    assert '"a":[0.12345678,null,true,3,1.5,"é\\"x"]' in text
    assert '"c":[1000]' in text
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["a"][0] == Decimal("0.12345678")
    assert parsed["b"]["day"] == "2025-01-01"
