"""ID-card numbers and phones: checksum, region, birth date, masking, keyed fingerprint."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from courtyard.core.privacy import mask_phone
from courtyard.residents import idcard
from courtyard.residents.validators import validate_phone, validate_plate


def test_a_known_valid_number_passes():
    assert idcard.validate("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "000000194912310020",  # no region
        "110105194913310029",  # month 13
        "1101051949123100AX",  # letters
    ],
)
def test_bad_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        idcard.validate(number)


def test_generated_numbers_validate():
    number = idcard.make("310104", datetime.date(1990, 2, 28), 77)
    assert idcard.is_valid(number)


def test_mask_keeps_region_and_last_four():
    assert idcard.mask("11010519491231002X") == "110105********002X"


def test_fingerprint_is_keyed(settings):
    first = idcard.fingerprint("11010519491231002X")
    assert first == idcard.fingerprint("11010519491231002x")
    assert "11010519491231002X" not in first
    settings.ID_HASH_KEY = "another key"
    assert idcard.fingerprint("11010519491231002X") != first


def test_phones_and_plates():
    validate_phone("13800000001")
    for bad in ("12800000001", "1380000000", "138000000012"):
        with pytest.raises(ValidationError):
            validate_phone(bad)
    assert mask_phone("13812345678") == "138****5678"
    for good in ("京A12345", "粤BD12345", "沪AF12345", "浙A12345D", "京A1234学"):
        validate_plate(good)
    for bad in ("京12345", "A12345", "京AI2345", "京A123"):
        with pytest.raises(ValidationError):
            validate_plate(bad)
