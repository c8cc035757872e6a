"""One reading of typed numerals and one writing of numbers, wherever they pass."""

from __future__ import annotations

import pytest

from cxgap.ingest.normalize import parse_number as import_parse_number
from cxgap.text.numerals import ascii_digits, localised_digits, parse_number


@pytest.mark.parametrize(
    ("typed", "number"),
    [("۳٫۵", 3.5), ("−۲", -2.0), ("٢٠", 20.0), ("۱٬۰۰۰", 1000.0), ("1e1", None), ("𝟓", None)],
)
def test_one_rule_reads_numerals(typed: str, number: float | None) -> None:
    assert parse_number(typed) == number
    assert import_parse_number is parse_number


def test_one_formatter_writes_digits() -> None:
    assert localised_digits(2026, "fa") == "۲۰۲۶"
    assert localised_digits("2026-Q1", "fa") == "۲۰۲۶-Q۱"
    assert localised_digits("-12.5%", "fa", marks=True) == "−۱۲٫۵٪"
    assert localised_digits("-12.5%", "zh", marks=True) == "-12.5%"
    assert ascii_digits(localised_digits("-1,234.5", "fa", marks=True)) == "-1,234.5"
