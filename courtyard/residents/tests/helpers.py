"""Residents made directly (no approval), for page, API and permission tests."""

import datetime

from courtyard.residents import idcard
from courtyard.residents.models import Occupancy, Resident

_sequence = [100]


def resident_in(unit, name="陈静", role="owner", phone="13912340000", status="current"):
    _sequence[0] += 1
    # The sequence part of an ID number has three digits: a long run moves on a birthday.
    birthday = datetime.date(1980, 1, 1) + datetime.timedelta(days=_sequence[0] // 900)
    number = idcard.make("310104", birthday, _sequence[0] % 900 + 100)
    person = Resident.objects.create(
        name=name,
        phone=phone,
        id_number_masked=idcard.mask(number),
        id_number_hash=idcard.fingerprint(number),
        status="archived" if status == "archived" else "current",
    )
    Occupancy.objects.create(
        resident=person,
        unit=unit,
        estate_id=unit.estate_id,
        building_id=unit.building_id,
        role=role,
        move_in=datetime.date(2024, 1, 1),
        status="ended" if status == "archived" else "current",
    )
    return person
