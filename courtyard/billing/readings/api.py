"""API: meter readings (``meter-readings``) — the list with its filters, one reading, a batch
of readings saved all or nothing (each refused row answered with its index, field and code),
accepting a flagged reading, deleting a meter's latest reading."""

from datetime import date, datetime
from decimal import Decimal

import django_filters
from ninja import Router, Schema, Status

from courtyard.core.api import Id, api_access, id_of, resource
from courtyard.core.references import referable
from courtyard.core.scoping import get_for_action
from courtyard.estates.models import Unit

from ..models import MeterReading
from . import selectors, services
from .filters import MeterReadingFilterSet

router = Router(tags=["billing"])


class MeterReadingApiFilterSet(MeterReadingFilterSet):
    """The list page's filters plus one unit."""

    unit = django_filters.NumberFilter(field_name="unit_id")

    class Meta(MeterReadingFilterSet.Meta):
        fields = [*MeterReadingFilterSet.Meta.fields, "unit"]


class MeterReadingOut(Schema):
    id: int
    estate: int = id_of("estate")
    building: int = id_of("building")
    unit: int = id_of("unit")
    room_no: str
    meter_type: str
    period: str
    previous_reading: Decimal
    reading: Decimal
    usage: Decimal
    read_on: date
    is_flagged: bool
    flag_reason: str
    needs_review: bool
    reviewed_by: int | None = id_of("reviewed_by")
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_room_no(obj):
        return obj.unit.room_no


class ReadingIn(Schema):
    unit: Id
    meter_type: str
    period: str
    reading: str
    read_on: date | None = None


class ReadingBatchIn(Schema):
    readings: list[ReadingIn]


class ReadingBatchOut(Schema):
    created: int
    corrected: int
    unchanged: int
    flagged: int
    items: list[MeterReadingOut]


class AcceptIn(Schema):
    note: str = ""


resource(
    router,
    "/meter-readings",
    MeterReading,
    name="meter_reading",
    rows=selectors.visible_readings,
    out=MeterReadingOut,
    filterset=MeterReadingApiFilterSet,
    order=("-period", "unit_id", "pk"),
    delete=services.delete_reading,
)


@router.post("/meter-readings", response={201: ReadingBatchOut})
@api_access("billing.add_meterreading")
def create_meter_readings(request, payload: ReadingBatchIn):
    """Save a batch (one reading or a whole building): all rows, or none and every refused
    row's ``row``, ``field``, ``code`` (``below_previous``, ``later_reading``, ``billed``,
    ``bad_reading``, ``bad_period``, ``future_period``, ``duplicate_row``, ``not_found`` …)."""
    rows = payload.readings
    # A unit outside the data scope is that row's "not_found", like a missing one.
    units = referable(request.user, Unit).in_bulk({row.unit for row in rows})
    entries = [
        services.Entry(
            units.get(row.unit),
            row.meter_type,
            row.period,
            row.reading,
            row.read_on,
        )
        for row in rows
    ]
    # Refused rows answer 400 "invalid_rows", each error with its row (core.api).
    result = services.save_readings(request.user, entries)
    saved = selectors.visible_readings(request.user).filter(
        pk__in=[reading.pk for reading in result.saved]
    )
    return Status(
        201,
        {
            "created": len(result.created),
            "corrected": len(result.corrected),
            "unchanged": result.unchanged,
            "flagged": len(result.flagged),
            "items": list(saved.order_by("unit_id", "meter_type", "period")),
        },
    )


@router.post("/meter-readings/{pk}/accept", response=MeterReadingOut)
@api_access("billing.review_meterreading")
def accept_meter_reading(request, pk: int, payload: AcceptIn):
    reading = get_for_action(
        selectors.visible_readings(request.user, "review"), request.user, "review", pk=pk
    )
    return services.accept_reading(request.user, reading, note=payload.note)
