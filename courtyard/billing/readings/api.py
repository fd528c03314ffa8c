"""API: meter readings (``meter-readings``) — the list with its filters, one reading, a batch
of readings saved all or nothing (each refused row answered with its index, field and code),
accepting a flagged reading, deleting a meter's latest reading."""

from datetime import date, datetime
from decimal import Decimal

import django_filters
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core.api import Id, Pagination, api_access, filter_query, filtered
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


MeterReadingQuery = filter_query(MeterReadingApiFilterSet)


class MeterReadingOut(Schema):
    id: int
    estate: int
    building: int
    unit: int
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
    reviewed_by: int | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_building(obj):
        return obj.building_id

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id

    @staticmethod
    def resolve_room_no(obj):
        return obj.unit.room_no

    @staticmethod
    def resolve_reviewed_by(obj):
        return obj.reviewed_by_id


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


@router.get("/meter-readings", response=list[MeterReadingOut])
@api_access("billing.view_meterreading")
@paginate(Pagination)
def list_meter_readings(request, filters: Query[MeterReadingQuery]):
    queryset = selectors.visible_readings(request.user).order_by("-period", "unit_id", "pk")
    return filtered(MeterReadingApiFilterSet, request, queryset)


@router.get("/meter-readings/{pk}", response=MeterReadingOut)
@api_access("billing.view_meterreading")
def get_meter_reading(request, pk: int):
    return get_for_action(selectors.visible_readings(request.user), request.user, "view", pk=pk)


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


@router.delete("/meter-readings/{pk}", response={204: None})
@api_access("billing.delete_meterreading")
def delete_meter_reading(request, pk: int):
    reading = get_for_action(MeterReading.objects.all(), request.user, "delete", pk=pk)
    services.delete_reading(request.user, reading)
    return Status(204, None)
