"""Mainland ID-card numbers (居民身份证号码): validation, masking and a keyed fingerprint.

The full number is checked and then forgotten: only the masked form (first 6 and last 4
digits) and an HMAC-SHA256 fingerprint keyed with ``settings.ID_HASH_KEY`` are stored, so
the same person is recognised across units without the number being kept or logged.
"""

import datetime
import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PATTERN = re.compile(r"^\d{17}[\dX]$")
# First digit of the region code: the six regions of the mainland (1 north … 6 north-west),
# 7 Taiwan, 8 Hong Kong / Macao (residence permits).
REGION_FIRST_DIGITS = "12345678"


def normalise(number):
    return re.sub(r"\s", "", number or "").upper()


def check_char(first17):
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def birth_date(number):
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate(number):
    """Return the normalised number, or raise ValidationError saying what is wrong."""
    number = normalise(number)
    if not PATTERN.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a last digit or X."),
            code="bad_id_number",
        )
    region = number[:6]
    if region == "000000" or region[0] not in REGION_FIRST_DIGITS or region[2:] == "0000":
        raise ValidationError(
            _("The ID number does not start with a valid region code."), code="bad_id_number"
        )
    born = birth_date(number)
    if born is None or born.year < 1900 or born > datetime.date.today():
        raise ValidationError(
            _("The ID number does not contain a valid date of birth."), code="bad_id_number"
        )
    if check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's check digit is wrong: please check the number."),
            code="bad_id_number",
        )
    return number


def is_valid(number):
    try:
        validate(number)
    except ValidationError:
        return False
    return True


def mask(number):
    """110101********1234: the region code and the last four characters."""
    number = normalise(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def fingerprint(number):
    """The keyed hash that recognises a person again; useless without the key."""
    key = settings.ID_HASH_KEY.encode()
    return hmac.new(key, normalise(number).encode(), hashlib.sha256).hexdigest()


def make(region, born, sequence):
    """A valid number from its parts (demo data and tests): region '110101', a date, 0–999."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
