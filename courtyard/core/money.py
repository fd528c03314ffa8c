"""Amounts as people read them: ¥1,639,566.41 in every language.

Django's Chinese formats group digits by ten-thousands with no separator, so a grouped amount
still read as one long number; money is grouped by thousands with commas whatever the
language (as Chinese receipts and bank statements do). Only the text changes: stored and
exported values stay plain decimals.
"""

from decimal import Decimal

CURRENCY_SIGN = "¥"


def grouped(value):
    """A number with its thousands grouped by commas, keeping its decimal places: 1,639,566.41."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    places = max(0, -number.as_tuple().exponent) if number.is_finite() else 0
    return format(number, f",.{places}f")


def shown_money(value):
    """An amount with the currency sign: ¥1,639,566.41, -¥20.00 for a negative one."""
    text = grouped(value)
    if text.startswith("-"):
        return f"-{CURRENCY_SIGN}{text[1:]}"
    return f"{CURRENCY_SIGN}{text}"
