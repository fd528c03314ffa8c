"""Amounts in Chinese capital numerals (大写) on receipts, and that they always read back."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courtyard.billing.payments.words import amount_in_words


@pytest.mark.parametrize(
    "amount,words",
    [
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("10", "壹拾元整"),
        ("100.07", "壹佰元零柒分"),
        ("1005.50", "壹仟零伍元伍角"),
        ("20000", "贰万元整"),
        ("10100000", "壹仟零壹拾万元整"),
        ("100000001", "壹亿零壹元整"),
        ("120000034", "壹亿贰仟万零叁拾肆元整"),
        ("378.75", "叁佰柒拾捌元柒角伍分"),
        ("12.345", "壹拾贰元叁角伍分"),  # rounded half up first
    ],
)
def test_amounts_in_capital_numerals(amount, words):
    assert amount_in_words(Decimal(amount)) == words


DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
PLACES = {"拾": 10, "佰": 100, "仟": 1000}


def read_back(words):
    """The amount the words say (a reader's parse, independent of how they were written)."""
    words = words.removesuffix("整")
    yuan_part, _sep, cents_part = words.rpartition("元") if "元" in words else ("", "", words)
    total = section = number = 0
    for char in yuan_part:
        if char in DIGITS:
            number = DIGITS[char]
        elif char in PLACES:
            section += number * PLACES[char]
            number = 0
        elif char == "万":
            total += (section + number) * 10**4
            section = number = 0
        elif char == "亿":
            total = (total + section + number) * 10**8
            section = number = 0
    total += section + number
    cents = 0
    digit = 0
    for char in cents_part:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char == "角":
            cents += digit * 10
        elif char == "分":
            cents += digit
    return Decimal(total) + Decimal(cents).scaleb(-2)


@settings(database=None, max_examples=500)
@given(st.integers(0, 99_999_999_999))
def test_every_amount_reads_back_to_itself(cents):
    amount = Decimal(cents).scaleb(-2)
    words = amount_in_words(amount)
    assert read_back(words) == amount, words
    assert words.endswith(("整", "角", "分"))
    assert "零零" not in words and not words.startswith("零") or words == "零元整"
