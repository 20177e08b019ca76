from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.csvio import header_for, parse_header, safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formulas_are_neutralised(text: str) -> None:
    assert safe_cell(text).startswith("'")


def test_numbers_keep_exact_form() -> None:
    assert safe_cell(Decimal("626.00000000")) == "626"
    assert safe_cell(Decimal("578.51000000")) == "578.51"
    assert safe_cell(Decimal("0.00000001")) == "0.00000001"
    assert safe_cell(Decimal("-22")) == "-22"  # numbers are not formulas
    assert safe_cell(None) == ""


def test_headers_carry_units() -> None:
    assert header_for("btc_mined") == "btc_mined (BTC)"
    assert parse_header("hashrate_avg_ehs (EH/s)") == ("hashrate_avg_ehs", "EH/s")
    assert parse_header("period") == ("period", None)
