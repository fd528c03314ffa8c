"""Amounts as people read them: ¥1,639,566.41 in every language.

Django's Chinese formats group digits by ten-thousands with no separator, so a grouped amount
still read as one long number; money is grouped by thousands with commas whatever the
language (as Chinese receipts and bank statements do). Only the text changes: stored and
exported values stay plain decimals.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import DecimalField
from django.utils.translation import ngettext

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


def check_decimal_columns(sender, instance, raw=False, **kwargs):
    """Refuse a decimal that its column cannot hold, before it is saved (``pre_save``).

    A database stores a figure too large for ``max_digits`` (SQLite keeps any number), and
    reading it back then fails for good (``decimal.InvalidOperation``): every rate, amount,
    reading and area is checked here, whichever service saves it. A ValidationError names the
    field (code ``max_whole_digits``, Django's sentence, so already translated).
    """
    if raw:
        return
    errors = {}
    for field in sender._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if not isinstance(field, DecimalField) or not isinstance(value, Decimal):
            continue
        whole = field.max_digits - field.decimal_places
        if value.is_finite() and abs(value) >= Decimal(10) ** whole:
            errors[field.name] = ValidationError(
                ngettext(
                    "Ensure that there are no more than %(max)s digit before the decimal point.",
                    "Ensure that there are no more than %(max)s digits before the decimal point.",
                    whole,
                )
                % {"max": whole},
                code="max_whole_digits",
            )
    if errors:
        raise ValidationError(errors)
