"""Decimal numbers in forms (issue 9 item 9): amounts and hours shown in the UI language and read
back in German and English notation (app/core/numbers.py)."""
from decimal import Decimal

import pytest

from app.core.numbers import NumberInputError, format_number_input, parse_number


@pytest.mark.parametrize("text, separator, expected", [
    ("20.000,00", ",", "20000.00"), ("20,000.00", ",", "20000.00"), ("20000.00", ",", "20000.00"),
    ("20000,5", ",", "20000.5"), ("20.000", ",", "20000"), ("1.000.000", ",", "1000000"),
    ("16,5", ",", "16.5"), ("16", ",", "16"), (" 20.000,00 € ", ",", "20000.00"), ("-3,5", ",", "-3.5"),
    ("20,000.00", ".", "20000.00"), ("20.000,00", ".", "20000.00"), ("20,000", ".", "20000"),
    ("16.5", ".", "16.5"), ("16,5", ".", "16.5"), ("1,000,000", ".", "1000000"), ("20000", ".", "20000"),
])
def test_numbers_are_read_in_german_and_english_notation(text, separator, expected):
    assert parse_number(text, separator) == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "20.000,5x", "1.00.0", "1,2,3.4.5", ",", "1..0", "12,34,56"])
def test_what_is_no_number_is_refused_with_the_text(text, app):
    with app.test_request_context():
        with pytest.raises(NumberInputError) as refused:
            parse_number(text, ",")
        assert text in str(refused.value)


def test_empty_is_none():
    assert parse_number("", ",") is None and parse_number("  ", ".") is None


def test_numbers_are_shown_in_the_ui_language(app):
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("de"):
            assert format_number_input(Decimal("20000.00"), 2) == "20.000,00"
            assert format_number_input(Decimal("16.0"), 1) == "16"
            assert format_number_input(Decimal("16.5"), 1) == "16,5"
        with force_locale("en"):
            assert format_number_input(Decimal("20000.00"), 2) == "20,000.00"
            assert format_number_input(Decimal("16.0"), 1) == "16"
            assert format_number_input(Decimal("16.5"), 1) == "16.5"
