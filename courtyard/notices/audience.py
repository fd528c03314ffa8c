"""Who a notice reaches: its audience resolved to residents, and the data-scope rules.

The audience is the residents with a *current* occupancy in the chosen estates, or in the
chosen buildings or units of those estates, or the chosen residents (who must live in those
estates). People awaiting approval and people who moved out are not in it.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from courtyard.core.references import referable
from courtyard.core.scoping import user_scope
from courtyard.estates.models import Building, Estate, Unit
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.models import Occupancy, Resident

from .choices import AudienceKind

K = AudienceKind
# The M2M that names the targets of each kind of audience (the estates always apply).
TARGET_FIELD = {K.BUILDINGS: "buildings", K.UNITS: "units", K.RESIDENTS: "residents"}


def _ids(values):
    """Primary keys from model instances (a list or a queryset) or ids."""
    return frozenset(value.pk if hasattr(value, "pk") else int(value) for value in values or ())


@dataclass(frozen=True)
class Audience:
    """An audience: its kind, the estates, and the targets of the kind (ids or subqueries)."""

    kind: str
    estate_ids: object
    target_ids: object = frozenset()

    @classmethod
    def chosen(cls, kind, estates, buildings=(), units=(), residents=()):
        """From a form or API payload: instances or ids."""
        targets = {K.BUILDINGS: buildings, K.UNITS: units, K.RESIDENTS: residents}.get(kind, ())
        return cls(kind, _ids(estates), _ids(targets))

    @classmethod
    def of(cls, notice):
        """A saved notice's audience, as subqueries on its M2M tables (no query yet)."""
        model = type(notice)
        estates = model.estates.through.objects.filter(notice_id=notice.pk).values("estate_id")
        field = TARGET_FIELD.get(notice.audience_kind)
        targets = frozenset()
        if field is not None:
            through = getattr(model, field).through
            targets = through.objects.filter(notice_id=notice.pk).values(f"{field[:-1]}_id")
        return cls(notice.audience_kind, estates, targets)

    @classmethod
    def stored(cls, notice):
        """A saved notice's audience with its ids read (for the scope checks)."""
        field = TARGET_FIELD.get(notice.audience_kind)
        targets = getattr(notice, field).values_list("pk", flat=True) if field else ()
        return cls(
            notice.audience_kind,
            frozenset(notice.estates.values_list("pk", flat=True)),
            frozenset(targets),
        )

    def occupancies(self):
        """The current occupancies through which the audience is reached."""
        # Archiving a person needs them moved out first: a current occupancy is never an
        # archived person's, so no join with the people is needed.
        found = Occupancy.objects.filter(
            status=OccupancyStatus.CURRENT, estate_id__in=self.estate_ids
        )
        if self.kind == K.BUILDINGS:
            found = found.filter(building_id__in=self.target_ids)
        elif self.kind == K.UNITS:
            found = found.filter(unit_id__in=self.target_ids)
        elif self.kind == K.RESIDENTS:
            found = found.filter(resident_id__in=self.target_ids)
        return found.order_by()

    def resident_ids(self):
        """The residents in the audience, as a queryset of ids (each person once)."""
        return (
            Resident.objects.filter(pk__in=self.occupancies().values("resident_id"))
            .order_by()
            .values_list("pk", flat=True)
        )


def resolve_audience(notice_or_audience):
    """The residents a notice (or an audience being chosen) reaches: a queryset of ids."""
    return _audience(notice_or_audience).resident_ids()


def audience_count(notice_or_audience):
    """How many residents the notice reaches now (one COUNT query)."""
    return resolve_audience(notice_or_audience).count()


def audience_warning(notice_or_audience):
    """The warning a form shows before submitting when the audience is nobody, else None."""
    if audience_count(notice_or_audience):
        return None
    return _("Nobody lives in the chosen audience at present: the announcement would reach no one.")


def _audience(value):
    return value if isinstance(value, Audience) else Audience.of(value)


# Validation and scope ----------------------------------------------------------------------


def places(audience, estate_ids):
    """The (estate, building) pairs the targets of ``audience`` lie in, within ``estate_ids``:
    the buildings chosen, the buildings of the units chosen, or the buildings the chosen
    residents currently live in."""
    if audience.kind == K.BUILDINGS:
        rows = Building.objects.filter(pk__in=audience.target_ids).values_list("estate_id", "pk")
    elif audience.kind == K.UNITS:
        rows = Unit.objects.filter(pk__in=audience.target_ids).values_list(
            "estate_id", "building_id"
        )
    elif audience.kind == K.RESIDENTS:
        rows = Occupancy.objects.filter(
            resident_id__in=audience.target_ids, status=OccupancyStatus.CURRENT
        ).values_list("estate_id", "building_id")
    else:
        return set()
    return {(estate, building) for estate, building in rows if estate in estate_ids}


def covers(scope, audience, estate_ids):
    """Whether ``scope`` covers every estate of the audience: the estate is in scope, or the
    audience reaches in it only buildings in scope."""
    if scope.all_estates:
        return True
    missing = set(estate_ids) - scope.estate_ids
    if not missing:
        return True
    if audience.kind == K.ESTATES or not scope.building_ids:
        return False
    reached = defaultdict(set)
    for estate, building in places(audience, missing):
        reached[estate].add(building)
    return all(reached[estate] and reached[estate] <= scope.building_ids for estate in missing)


def notice_covered(actor, notice):
    """Whether ``actor``'s scope covers every estate of a saved notice (needed to change it)."""
    scope = user_scope(actor)
    if scope.all_estates:
        return True
    audience = Audience.stored(notice)
    return covers(scope, audience, audience.estate_ids)


def check(actor, audience):
    """Raise ValidationError keyed by field unless the audience is well formed and within
    ``actor``'s data scope. ``audience`` holds concrete ids (``Audience.chosen``)."""
    if audience.kind not in K.values:
        _fail("audience_kind", _("Choose who the announcement is for."), "invalid")
    if not audience.estate_ids:
        _fail("estates", _("Choose at least one estate."), "required")
    estates = set(Estate.objects.filter(pk__in=audience.estate_ids).values_list("pk", flat=True))
    if estates != set(audience.estate_ids):
        _fail("estates", _("An estate chosen does not exist."), "invalid")
    field = TARGET_FIELD.get(audience.kind)
    scope = user_scope(actor)
    if field == "residents":
        _check_residents(actor, audience, estates, scope)
    elif field is not None:
        _check_places(audience, field, estates, scope)
    if not covers(scope, audience, estates):
        _fail(
            "estates",
            _("The announcement reaches estates outside your data scope."),
            "out_of_scope",
        )


def _check_places(audience, field, estates, scope):
    model = Building if audience.kind == K.BUILDINGS else Unit
    building = "pk" if model is Building else "building_id"
    rows = model.objects.filter(pk__in=audience.target_ids).values_list("pk", "estate_id", building)
    if not audience.target_ids:
        _fail(field, _("Choose at least one."), "required")
    if len(rows) != len(audience.target_ids):
        _fail(field, _("A place chosen does not exist."), "invalid")
    if any(estate not in estates for _pk, estate, _b in rows):
        _fail(field, _("Choose places within the chosen estates."), "outside_estates")
    if not all(scope.covers(estate, b) for _pk, estate, b in rows):
        _fail(field, _("A place chosen is outside your data scope."), "out_of_scope")


def _check_residents(actor, audience, estates, scope):
    if not audience.target_ids:
        _fail("residents", _("Choose at least one resident."), "required")
    known = set(Resident.objects.filter(pk__in=audience.target_ids).values_list("pk", flat=True))
    if known != set(audience.target_ids):
        _fail("residents", _("A resident chosen does not exist."), "invalid")
    # Refused before anyone is named below: a name from outside the scope must not show.
    if referable(actor, Resident).filter(pk__in=known).count() != len(known):
        _fail("residents", _("A resident chosen is outside your data scope."), "out_of_scope")
    homes = Occupancy.objects.filter(
        resident_id__in=known, estate_id__in=estates, status=OccupancyStatus.CURRENT
    ).values_list("resident_id", "estate_id", "building_id")
    living = {resident for resident, _e, _b in homes}
    if living != known:
        names = Resident.objects.filter(pk__in=known - living).values_list("name", flat=True)
        _fail(
            "residents",
            _("Not living in the chosen estates: %(names)s") % {"names": "、".join(names)},
            "outside_estates",
        )
    # A person is within the scope when one of their homes in these estates is.
    if {resident for resident, e, b in homes if scope.covers(e, b)} != known:
        _fail("residents", _("A resident chosen is outside your data scope."), "out_of_scope")


def _fail(field, message, code):
    raise ValidationError({field: ValidationError(message, code=code)})
