"""Writes to the property register: estates, buildings, entrances and units.

Every function takes the acting user first, checks the function permission and the data
scope (a parent outside the scope is a 404, as is a record that would leave it), validates
with messages a clerk understands, and writes in one transaction. The web forms, the API
and the Excel import all come through here.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from courtyard.core.deletion import delete_unless_in_use
from courtyard.core.scoping import check_in_scope, require_action, require_company_wide

from .choices import Occupancy, UnitUse
from .models import Building, Entrance, Estate, Unit

ESTATE_FIELDS = ("name", "code", "address", "phone", "description")
BUILDING_FIELDS = ("estate", "name", "floors", "description")
ENTRANCE_FIELDS = ("building", "name")
UNIT_FIELDS = ("entrance", "room_no", "floor", "area", "use", "status", "note")


# Estates ------------------------------------------------------------------------------------


def create_estate(user, *, name, code, address="", phone="", description=""):
    require_action(user, Estate, "add")
    # A new estate lies outside every limited scope, so only an all-estates user may add one.
    require_company_wide(user, _("Only users whose data scope covers all estates may add estates."))
    estate = Estate(created_by=user)
    values = {"name": name, "code": code, "address": address, "phone": phone}
    _assign(estate, {**values, "description": description}, ESTATE_FIELDS)
    return _save(user, estate, _validate_estate)


def update_estate(user, estate, **changes):
    require_action(user, Estate, "change")
    check_in_scope(user, estate)
    _assign(estate, changes, ESTATE_FIELDS)
    return _save(user, estate, _validate_estate)


def delete_estate(user, estate):
    _delete(user, estate)


def _validate_estate(estate):
    errors = _field_errors(estate)
    others = Estate._base_manager.exclude(pk=estate.pk)
    if estate.name and others.filter(name=estate.name).exists():
        _add(errors, "name", _("An estate with this name already exists."), "duplicate")
    if estate.code and others.filter(code=estate.code).exists():
        _add(errors, "code", _("This code is already used by another estate."), "duplicate")
    _raise(errors)


# Buildings ----------------------------------------------------------------------------------


def create_building(user, *, estate, name, floors=None, description=""):
    require_action(user, Building, "add")
    check_in_scope(user, estate)
    building = Building(created_by=user)
    values = {"estate": estate, "name": name, "floors": floors, "description": description}
    _assign(building, values, BUILDING_FIELDS)
    return _save(user, building, _validate_building)


def update_building(user, building, **changes):
    require_action(user, Building, "change")
    check_in_scope(user, building)
    moved = "estate" in changes and changes["estate"].pk != building.estate_id
    if moved:
        check_in_scope(user, changes["estate"])
    _assign(building, changes, BUILDING_FIELDS)
    return _save(user, building, _validate_building, moved=moved)


def delete_building(user, building):
    _delete(user, building)


def _validate_building(building, moved=False):
    errors = _field_errors(building, exclude=("estate",))
    if building.name and (
        Building._base_manager.filter(estate=building.estate_id, name=building.name)
        .exclude(pk=building.pk)
        .exists()
    ):
        _add(errors, "name", _("This building already exists in the estate."), "duplicate")
    if moved and building.entrances.exists():
        # Entrances and units carry their estate; moving them is not a form edit.
        _add(errors, "estate", _("A building with entrances cannot move to another estate."))
    if building.pk and building.floors and "floors" not in errors:
        top = building.units.aggregate(top=Max("floor"))["top"]
        if top is not None and top > building.floors:
            _add(
                errors,
                "floors",
                _("Units exist up to floor %(floor)s; the building cannot have fewer floors.")
                % {"floor": top},
            )
    _raise(errors)


# Entrances ----------------------------------------------------------------------------------


def create_entrance(user, *, building, name):
    require_action(user, Entrance, "add")
    check_in_scope(user, building)
    entrance = Entrance(created_by=user)
    _assign(entrance, {"building": building, "name": name}, ENTRANCE_FIELDS)
    entrance.estate = building.estate
    return _save(user, entrance, _validate_entrance)


def update_entrance(user, entrance, **changes):
    require_action(user, Entrance, "change")
    check_in_scope(user, entrance)
    moved = "building" in changes and changes["building"].pk != entrance.building_id
    if moved:
        check_in_scope(user, changes["building"])
    _assign(entrance, changes, ENTRANCE_FIELDS)
    entrance.estate = entrance.building.estate
    return _save(user, entrance, _validate_entrance, moved=moved)


def delete_entrance(user, entrance):
    _delete(user, entrance)


def _validate_entrance(entrance, moved=False):
    errors = _field_errors(entrance, exclude=("building", "estate"))
    if entrance.name and (
        Entrance._base_manager.filter(building=entrance.building_id, name=entrance.name)
        .exclude(pk=entrance.pk)
        .exists()
    ):
        _add(errors, "name", _("This entrance already exists in the building."), "duplicate")
    if moved and entrance.units.exists():
        _add(errors, "building", _("An entrance with units cannot move to another building."))
    _raise(errors)


# Units --------------------------------------------------------------------------------------


def create_unit(
    user,
    *,
    entrance,
    room_no,
    floor,
    area,
    use=UnitUse.RESIDENTIAL,
    status=Occupancy.VACANT,
    note="",
):
    """Add a unit to an entrance; its estate and building follow from the entrance."""
    require_action(user, Unit, "add")
    check_in_scope(user, entrance)
    unit = Unit(created_by=user)
    values = {"entrance": entrance, "room_no": room_no, "floor": floor, "area": area}
    _assign(unit, {**values, "use": use, "status": status, "note": note}, UNIT_FIELDS)
    _place_unit(unit)
    return _save(user, unit, validate_unit)


def update_unit(user, unit, **changes):
    require_action(user, Unit, "change")
    check_in_scope(user, unit)
    if "entrance" in changes and changes["entrance"].pk != unit.entrance_id:
        check_in_scope(user, changes["entrance"])
    _assign(unit, changes, UNIT_FIELDS)
    _place_unit(unit)
    return _save(user, unit, validate_unit)


def delete_unit(user, unit):
    _delete(user, unit)


def set_unit_occupancy(actor, unit, status):
    """Set a unit's occupancy status as the consequence of a residents decision.

    Called by the residents module after it has authorised the decision (an approved
    registration, a move-out), so the actor needs no right to edit the register; the change
    lands in the unit's audit history under the actor's name.
    """
    if status not in Occupancy.values:
        raise ValueError(f"unknown occupancy status {status!r}")
    with transaction.atomic():
        # A consequence, not a person's edit: it applies to the stored unit, however old the
        # caller's copy is (its version must not refuse it).
        current = Unit.objects.select_for_update().get(pk=unit.pk)
        if current.status != status:
            current.status = status
            current.save(update_fields=["status", "updated_at"])
    unit.status, unit.version = current.status, current.version
    return unit


def _place_unit(unit):
    unit.building = unit.entrance.building
    unit.estate = unit.entrance.estate


def validate_unit(unit):
    """The unit rules; the import checks every row with them before it writes anything."""
    errors = _field_errors(unit, exclude=("estate", "building", "entrance"))
    if "area" not in errors and unit.area is not None and unit.area <= 0:
        _add(errors, "area", _("The floor area must be greater than zero."), "invalid_area")
    if "floor" not in errors and unit.floor is not None:
        floors = unit.building.floors
        if unit.floor == 0:
            _add(
                errors,
                "floor",
                _("There is no floor 0: the ground floor is 1, the first basement -1."),
                "invalid_floor",
            )
        elif floors and unit.floor > floors:
            _add(
                errors,
                "floor",
                _("The building has only %(floors)s floors.") % {"floors": floors},
                "invalid_floor",
            )
    if (
        unit.room_no
        and unit.entrance_id
        and Unit._base_manager.filter(entrance=unit.entrance_id, room_no=unit.room_no)
        .exclude(pk=unit.pk)
        .exists()
    ):
        _add(errors, "room_no", _("This room number already exists."), "duplicate")
    _raise(errors)


# Shared steps -------------------------------------------------------------------------------


def _assign(obj, values, allowed):
    """Set fields from ``values``, text trimmed; a field outside ``allowed`` is a caller bug."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no changeable field {sorted(unknown)}")
    for name, value in values.items():
        setattr(obj, name, value.strip() if isinstance(value, str) else value)


def _save(user, obj, validate, **context):
    """Validate, save, and make sure the saved record still lies in the user's scope."""
    with transaction.atomic():
        validate(obj, **context)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:
            # Someone saved the same name a moment ago: validating again names the field.
            validate(obj, **context)
            raise
        check_in_scope(user, obj)
    return obj


def _delete(user, obj):
    """Delete unless something refers to it (buildings, units, residents, bills …): InUse."""
    require_action(user, type(obj), "delete")
    check_in_scope(user, obj)
    delete_unless_in_use(obj)


def _field_errors(obj, exclude=()):
    """Django's own field checks (required, length, choices, decimal places) as a dict."""
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
