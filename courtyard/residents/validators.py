"""Phone numbers and licence plates: the formats a clerk types, checked the same everywhere."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Ordinary plates: province, issuing-office letter, five letters/digits (I and O are never used),
# the last may be 挂/学/警/港/澳. New-energy plates: six characters after the office letter,
# D or F (electric / hybrid) first for small cars, last for large ones.
_LETTER = "A-HJ-NP-Z"
PLATE_RE = re.compile(
    rf"^[{PROVINCES}][{_LETTER}]"
    rf"(?:[{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]"
    rf"|[DF][{_LETTER}0-9]\d{{4}}"
    rf"|\d{{5}}[DF])$"
)


def normalise_phone(value):
    return re.sub(r"[\s-]", "", value or "")


def validate_phone(value):
    """A mainland mobile number: 11 digits starting 13–19."""
    if not MOBILE_RE.match(normalise_phone(value)):
        raise ValidationError(
            _("Enter a valid mobile number (11 digits, starting with 13–19)."), code="bad_phone"
        )


def normalise_plate(value):
    return re.sub(r"[\s·.-]", "", value or "").upper()


def validate_plate(value):
    if not PLATE_RE.match(normalise_plate(value)):
        raise ValidationError(
            _("Enter a valid licence plate, such as 京A12345 or 粤BD12345."), code="bad_plate"
        )
