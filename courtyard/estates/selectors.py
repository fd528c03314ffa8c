"""Reads of the property register, always through the scope gate, with their parents joined."""

from django.db.models import Count, Q

from courtyard.core.scoping import narrow_to_estate, restrict

from .choices import LIVED_IN
from .models import Building, Entrance, Estate, Unit


def visible_estates(user, action="view"):
    return restrict(Estate.objects.all(), user, action)


def visible_buildings(user, action="view"):
    return restrict(Building.objects.select_related("estate"), user, action)


def visible_entrances(user, action="view"):
    return restrict(Entrance.objects.select_related("estate", "building"), user, action)


def visible_units(user, action="view"):
    return restrict(Unit.objects.select_related("estate", "building", "entrance"), user, action)


def _occupancy(prefix=""):
    """Unit count and lived-in count, as annotations (``prefix`` reaches the units)."""
    return {
        "unit_count": Count(f"{prefix}pk"),
        "lived_in": Count(f"{prefix}pk", filter=Q(**{f"{prefix}status__in": LIVED_IN})),
    }


def buildings_with_occupancy(user, estate):
    """The buildings of ``estate`` the user may view, each with ``unit_count`` and ``lived_in``."""
    return visible_buildings(user).filter(estate=estate).annotate(**_occupancy("units__"))


def entrances_with_units(user, building):
    return visible_entrances(user).filter(building=building).annotate(**_occupancy("units__"))


def occupancy_rate(unit_count, lived_in):
    """Lived-in units as a whole percentage, or None when there are no units."""
    return round(lived_in * 100 / unit_count) if unit_count else None


def register_summary(user, estate_id=None):
    """Counts for the home card: what the user may view, narrowed to the top bar's estate."""
    units = narrow_to_estate(restrict(Unit.objects.all(), user, "view"), estate_id)
    totals = units.aggregate(**_occupancy())
    return {
        "estates": narrow_to_estate(visible_estates(user), estate_id).count(),
        "buildings": narrow_to_estate(restrict(Building.objects.all(), user), estate_id).count(),
        "units": totals["unit_count"],
        "rate": occupancy_rate(totals["unit_count"], totals["lived_in"]),
    }
