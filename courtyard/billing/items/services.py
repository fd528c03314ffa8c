"""Writes of charge items, their rates (费用标准, 水电单价) and parking spaces.

A charge item and its default rates hold for every estate, so only a user whose data scope
covers all estates may change them; an estate's own rate (which overrides the default there)
needs that estate in the user's scope. Every function takes the acting user first, checks
the permission (403) and the scope (404), validates with messages a clerk understands (a
ValidationError with a ``code`` per field) and writes in one transaction.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from courtyard.core.deletion import delete_unless_in_use
from courtyard.core.scoping import (
    check_in_scope,
    require_action,
    require_company_wide,
    user_scope,
)
from courtyard.core.timeline import record_event
from courtyard.estates.choices import UnitUse
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.models import Occupancy

from ..choices import ItemKind, ParkingKind, Pricing
from ..models import Bill, ChargeItem, ChargeRate, ParkingSpace
from ..pricing import parse_tiers
from .selectors import figure

ITEM_FIELDS = (
    "name",
    "name_en",
    "kind",
    "pricing",
    "cycle",
    "meter_type",
    "due_days",
    "applies_to",
    "is_deposit",
    "is_active",
    "sort_order",
)
# How an item is priced may not change once it has bills: their amounts were computed so.
PRICING_FIELDS = ("kind", "pricing", "cycle", "meter_type")
# The pricing rules each kind of item may use.
KIND_PRICING = {
    ItemKind.PERIODIC: (Pricing.PER_AREA, Pricing.PER_UNIT, Pricing.PER_SPACE),
    ItemKind.METERED: (Pricing.METERED,),
    ItemKind.ONE_OFF: (Pricing.FIXED,),
}
SPACE_FIELDS = (
    "estate",
    "code",
    "kind",
    "area",
    "resident",
    "vehicle",
    "unit",
    "is_active",
    "note",
)


# Charge items -------------------------------------------------------------------------------


def create_charge_item(actor, *, code, **values):
    require_action(actor, ChargeItem, "add")
    require_company_wide(actor)
    item = ChargeItem(created_by=actor, code=(code or "").strip())
    _assign(item, values, ITEM_FIELDS)
    with transaction.atomic():
        _save(item, _validate_item)
        record_event(item, actor, "created", _("Charge item created."))
    return item


def update_charge_item(actor, item, **changes):
    """Change an item; its code never changes (other parts find seeded items by it)."""
    require_action(actor, ChargeItem, "change")
    require_company_wide(actor)
    with transaction.atomic():
        before = {name: getattr(item, name) for name in PRICING_FIELDS}
        _assign(item, changes, ITEM_FIELDS)
        changed = [name for name in PRICING_FIELDS if getattr(item, name) != before[name]]
        if changed and Bill.objects.filter(item=item).exists():
            raise ValidationError(
                {
                    changed[0]: ValidationError(
                        _(
                            "The item has bills: how it is priced can no longer change. "
                            "Deactivate it and add a new item instead."
                        ),
                        code="has_bills",
                    )
                }
            )
        _save(item, _validate_item)
    return item


def delete_charge_item(actor, item):
    require_action(actor, ChargeItem, "delete")
    require_company_wide(actor)
    delete_unless_in_use(item)


def _validate_item(item):
    errors = _field_errors(item)
    others = ChargeItem._base_manager.exclude(pk=item.pk)
    if item.code and "code" not in errors and others.filter(code=item.code).exists():
        _add(errors, "code", _("Another charge item has this code."), "duplicate")
    if item.name and "name" not in errors and others.filter(name=item.name).exists():
        _add(errors, "name", _("Another charge item has this name."), "duplicate")
    allowed = KIND_PRICING.get(item.kind, ())
    if item.kind and item.pricing and item.pricing not in allowed:
        _add(
            errors,
            "pricing",
            _("A %(kind)s item is priced: %(rules)s.")
            % {
                "kind": item.get_kind_display().lower(),
                "rules": ", ".join(str(Pricing(rule).label) for rule in allowed),
            },
            "pricing_mismatch",
        )
    if item.kind == ItemKind.ONE_OFF:
        item.cycle = ""
    elif not item.cycle:
        _add(errors, "cycle", _("A periodic or metered item needs a billing cycle."), "required")
    if item.kind == ItemKind.METERED and not item.meter_type:
        _add(errors, "meter_type", _("Choose which meter this item bills."), "required")
    if item.kind != ItemKind.METERED:
        item.meter_type = ""
    if item.is_deposit and item.kind != ItemKind.ONE_OFF:
        _add(errors, "is_deposit", _("Only a one-off item can be a deposit."), "invalid")
    unknown = [use for use in item.applies_to or [] if use not in UnitUse.values]
    if unknown:
        _add(errors, "applies_to", _("Unknown unit use: %(uses)s.") % {"uses": ", ".join(unknown)})
    _raise(errors)


# Rates --------------------------------------------------------------------------------------


def rate_uses(item):
    """What a rate of ``item`` may be limited to: unit uses, or parking kinds for parking."""
    if item.pricing == Pricing.PER_SPACE:
        return ParkingKind
    return UnitUse


def create_rate(actor, *, item, estate=None, unit_use="", rate, tiers=()):
    """A rate of ``item``: the default (no estate) or one estate's, for every use or one."""
    require_action(actor, ChargeRate, "add")
    check_rate_scope(actor, estate)
    charge_rate = ChargeRate(created_by=actor, item=item, estate=estate)
    _assign(charge_rate, {"unit_use": unit_use, "rate": rate, "tiers": tiers}, RATE_FIELDS)
    with transaction.atomic():
        _save(charge_rate, _validate_rate)
        record_event(item, actor, "rate_set", _rate_text(charge_rate), rate=str(charge_rate.rate))
    return charge_rate


def update_rate(actor, charge_rate, **changes):
    """A new rate or tiers (only the figures: its item, estate and use stay)."""
    require_action(actor, ChargeRate, "change")
    check_rate_scope(actor, charge_rate.estate)
    old = charge_rate.rate
    _assign(charge_rate, changes, ("rate", "tiers"))
    with transaction.atomic():
        _save(charge_rate, _validate_rate)
        record_event(
            charge_rate.item,
            actor,
            "rate_changed",
            _rate_text(charge_rate),
            old=str(old),
            new=str(charge_rate.rate),
        )
    return charge_rate


def delete_rate(actor, charge_rate):
    """Remove a rate; the estate then pays the default. The last default rate stays."""
    require_action(actor, ChargeRate, "delete")
    check_rate_scope(actor, charge_rate.estate)
    with transaction.atomic():
        if charge_rate.estate_id is None and not charge_rate.unit_use:
            raise ValidationError(
                _("The default rate of an item cannot be removed; change it instead."),
                code="default_rate",
            )
        record_event(charge_rate.item, actor, "rate_removed", _rate_text(charge_rate))
        charge_rate.delete()


RATE_FIELDS = ("unit_use", "rate", "tiers")


def check_rate_scope(actor, estate):
    if estate is None:
        require_company_wide(actor)
    elif not user_scope(actor).covers(estate.pk):
        raise Http404


def _rate_text(charge_rate):
    where = charge_rate.estate.name if charge_rate.estate_id else _("default")
    use = charge_rate.unit_use or _("every use")
    return f"{charge_rate.item.name} · {where} · {use}: {charge_rate.rate}"


def _validate_rate(charge_rate):
    errors = {}
    item = charge_rate.item
    try:
        charge_rate.rate = Decimal(str(charge_rate.rate).strip())
    except (InvalidOperation, ValueError):
        _add(errors, "rate", _("Enter a rate such as 2.50."), "bad_rate")
    else:
        if not charge_rate.rate.is_finite() or charge_rate.rate < 0:
            _add(errors, "rate", _("The rate cannot be negative."), "bad_rate")
        elif charge_rate.rate.as_tuple().exponent < -4:
            _add(errors, "rate", _("A rate has at most four decimal places."), "bad_rate")
    uses = rate_uses(item)
    if charge_rate.unit_use and charge_rate.unit_use not in uses.values:
        _add(
            errors,
            "unit_use",
            _("Choose one of: %(uses)s.") % {"uses": ", ".join(str(u) for u in uses.labels)},
        )
    tiers = list(charge_rate.tiers or [])
    if tiers and item.pricing != Pricing.METERED:
        _add(errors, "tiers", _("Only a metered item has tiers."), "bad_tier")
    elif tiers:
        try:
            parsed = parse_tiers(tiers)
        except ValidationError as error:
            errors.setdefault("tiers", []).extend(error.error_list)
        else:
            charge_rate.tiers = [
                {
                    "upto": None if t.upto is None else f"{t.upto.normalize():f}",
                    "rate": figure(t.rate),
                }
                for t in parsed
            ]
            if "rate" not in errors:
                # The first tier's price is the rate a reader sees first.
                charge_rate.rate = parsed[0].rate
    clash = ChargeRate._base_manager.filter(
        item=item, estate=charge_rate.estate_id, unit_use=charge_rate.unit_use
    ).exclude(pk=charge_rate.pk)
    if clash.exists():
        _add(
            errors,
            "unit_use",
            _("This rate already exists; change it instead of adding another."),
            "duplicate",
        )
    _raise(errors)


# Parking spaces -----------------------------------------------------------------------------


def create_parking_space(
    actor,
    *,
    estate,
    code,
    kind=ParkingKind.RENTED,
    area="",
    resident=None,
    vehicle=None,
    unit=None,
    is_active=True,
    note="",
):
    require_action(actor, ParkingSpace, "add")
    check_in_scope(actor, estate)
    space = ParkingSpace(created_by=actor)
    values = {"estate": estate, "code": code, "kind": kind, "area": area, "resident": resident}
    values.update({"vehicle": vehicle, "unit": unit, "is_active": is_active, "note": note})
    _assign(space, values, SPACE_FIELDS)
    with transaction.atomic():
        _save(space, _validate_space)
        check_in_scope(actor, space)
    return space


def update_parking_space(actor, space, **changes):
    require_action(actor, ParkingSpace, "change")
    check_in_scope(actor, space)
    moved = "estate" in changes and changes["estate"].pk != space.estate_id
    if moved:
        check_in_scope(actor, changes["estate"])
    _assign(space, changes, SPACE_FIELDS)
    with transaction.atomic():
        _save(space, _validate_space, moved=moved)
        check_in_scope(actor, space)
    return space


def delete_parking_space(actor, space):
    require_action(actor, ParkingSpace, "delete")
    check_in_scope(actor, space)
    delete_unless_in_use(space)


def _validate_space(space, moved=False):
    errors = _field_errors(space, exclude=("estate", "resident", "vehicle", "unit"))
    if (
        space.code
        and "code" not in errors
        and ParkingSpace._base_manager.filter(estate=space.estate_id, code=space.code)
        .exclude(pk=space.pk)
        .exists()
    ):
        _add(errors, "code", _("This space number already exists in the estate."), "duplicate")
    if moved and Bill.objects.filter(parking_space=space).exists():
        _add(errors, "estate", _("A space with bills cannot move to another estate."), "has_bills")
    if space.unit_id and space.unit.estate_id != space.estate_id:
        _add(errors, "unit", _("The unit is not in this estate."), "wrong_estate")
    if space.resident_id and not _lives_in(space.resident_id, estate_id=space.estate_id):
        _add(
            errors,
            "resident",
            _("%(name)s is not a current resident of this estate.") % {"name": space.resident},
            "wrong_estate",
        )
    elif (
        space.resident_id
        and space.unit_id
        and not _lives_in(space.resident_id, unit_id=space.unit_id)
    ):
        _add(
            errors,
            "resident",
            _("%(name)s neither lives in nor owns the unit the space is billed to.")
            % {"name": space.resident},
            "not_of_unit",
        )
    if space.vehicle_id:
        if not space.resident_id:
            _add(errors, "vehicle", _("Choose the resident the vehicle belongs to."), "required")
        elif space.vehicle.resident_id != space.resident_id:
            _add(
                errors,
                "vehicle",
                _("The vehicle %(plate)s is not registered to %(name)s.")
                % {"plate": space.vehicle, "name": space.resident},
                "wrong_resident",
            )
    _raise(errors)


def _lives_in(resident_id, **place):
    """Whether the resident lives now in the place (``estate_id=…`` or ``unit_id=…``)."""
    return Occupancy.objects.filter(
        resident_id=resident_id, status=OccupancyStatus.CURRENT, **place
    ).exists()


# Shared steps -------------------------------------------------------------------------------


def _assign(obj, values, allowed):
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no changeable field {sorted(unknown)}")
    for name, value in values.items():
        setattr(obj, name, value.strip() if isinstance(value, str) else value)


def _save(obj, validate, **context):
    with transaction.atomic():
        validate(obj, **context)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:
            validate(obj, **context)  # a colleague saved the same code a moment ago
            raise
    return obj


def _field_errors(obj, exclude=()):
    try:
        obj.clean_fields(exclude=[*exclude, "created_by"])
    except ValidationError as error:
        return {field: list(errors) for field, errors in error.error_dict.items()}
    return {}


def _add(errors, field, message, code="invalid"):
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _raise(errors):
    if errors:
        raise ValidationError(errors)
