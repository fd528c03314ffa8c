"""Filter sets of the residents lists: the sidebar, the API query parameters and the exports.

Each condition on units is a subquery on the occupancies (``HasOccupancy``, or ``Among`` for
a room number), never a join, so a person with several units appears once and the count
stays exact. Name search goes through the indexed name pieces (``NameGram``), not a table
scan. The searches (name, phone, ID, room) mark the list ``narrowed``: it is then counted
from the few people found, not as sets over the whole register (see ``ResidentList``).
"""

import functools
import re

import django_filters
from django.db.models import BooleanField, Expression, F, Q, Subquery
from django.utils.choices import CallableChoiceIterator, normalize_choices
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import QuickSelect
from courtyard.estates.choices import LIVED_IN
from courtyard.estates.models import Building, Estate

from . import hooks
from .choices import OccupancyStatus, RegistrationStatus, ResidentKind, Role
from .models import GRAM_LENGTH, HasOccupancy, NameGram, Occupancy, Registration, Resident
from .selectors import narrowed

YES_NO = (("yes", _("Yes")), ("no", _("No")))


class Among(Expression):
    """``pk IN (ids)`` for a subquery that names the people found (a room's, a name's).

    On PostgreSQL ``pk = ANY(ARRAY(ids))``: the ids are read first, then the people by
    primary key. As a plain ``IN`` the planner may instead walk the whole register in name
    order hoping to meet the few early (a clerk's room search: 250 ms instead of 5; the
    surname 王, 5,500 people from the 128,000th name on: 480 ms for the page instead of 25).
    """

    output_field = BooleanField()

    def __init__(self, ids):
        super().__init__()
        self.person = F("pk")
        self.ids = Subquery(ids.order_by())

    def get_source_expressions(self):
        return [self.person, self.ids]

    def set_source_expressions(self, exprs):
        self.person, self.ids = exprs

    def as_sql(self, compiler, connection, template="%s IN %s"):
        person, person_params = compiler.compile(self.person)
        ids, ids_params = compiler.compile(self.ids)
        return template % (person, ids), (*person_params, *ids_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="%s = ANY(ARRAY%s)")


class ChoicesOnce(CallableChoiceIterator):
    """Choices read when first wanted (never for the API or an export), then kept: drawing a
    select goes through them twice (the "required" check, the options)."""

    @functools.cached_property
    def choices(self):
        return normalize_choices(self.func())

    def __iter__(self):
        yield from self.choices


class ResidentFilterSet(BaseFilterSet):
    """多条件查询: name, phone (or its last 4 digits), ID last 4, room number, unit filters."""

    # Occupancies counted by the unit filters: the current ones (the history list: ended).
    occupancy_statuses = (OccupancyStatus.CURRENT,)

    q = django_filters.CharFilter(
        method="search",
        label=_("Name, phone or last 4 digits"),
    )
    room = django_filters.CharFilter(method="filter_room", label=_("Room number"))
    # The selects are QuickSelects: the building filter lists every building in the scope.
    estate = django_filters.ModelChoiceFilter(
        queryset=Estate.objects.all(), method="filter_estate", label=_("Estate"), widget=QuickSelect
    )
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"),
        method="filter_building",
        label=_("Building"),
        widget=QuickSelect,
    )
    role = django_filters.ChoiceFilter(
        choices=Role.choices, method="filter_role", label=_("Role"), widget=QuickSelect
    )
    occupied = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_occupied", label=_("Unit occupied"), widget=QuickSelect
    )
    kind = django_filters.ChoiceFilter(
        choices=ResidentKind.choices, label=_("Kind"), widget=QuickSelect
    )
    arrears = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_arrears", label=_("In arrears"), widget=QuickSelect
    )

    class Meta:
        model = Resident
        fields = ["q", "room", "estate", "building", "role", "occupied", "kind", "arrears"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        session = getattr(self.request, "session", None) or {}
        value = self.data.get("estate") if self.data else None
        estate = value if value and str(value).isdigit() else session.get("estate_id")
        # Both selects list plain values, read once: no model instances, and no server-side
        # cursor (a model select's iterator() on PostgreSQL: DECLARE, FETCH, CLOSE).
        estates = self.form.fields["estate"]
        estates.widget.choices = ChoicesOnce(
            lambda: [("", estates.empty_label), *estates.queryset.values_list("pk", "name")]
        )
        field = self.form.fields["building"]
        buildings, any_label = field.queryset, field.empty_label

        def building_choices():
            chosen = buildings.filter(estate=estate) if estate else buildings
            return [("", any_label)] + [
                (pk, name if estate else f"{estate_name} {name}")
                for pk, name, estate_name in chosen.values_list("pk", "name", "estate__name")
            ]

        field.widget.choices = ChoicesOnce(building_choices)

    def occupancies(self, **lookup):
        """The people with such an occupancy (the broad filters: estate, building, role …)."""
        return HasOccupancy(Occupancy.objects.filter(status__in=self.occupancy_statuses, **lookup))

    def search(self, queryset, name, value):
        value = re.sub(r"\s", "", value or "")
        if not value:
            return queryset
        if re.fullmatch(r"\d{11}", value):
            return narrowed(queryset.filter(phone=value))
        if re.fullmatch(r"\d{3}[\dxX]", value):
            return narrowed(queryset.filter(Q(phone_last4=value) | Q(id_last4=value.upper())))
        # The name's pieces name the people: read them first (see Among), whether they are
        # few or (one common surname) thousands, rather than walking the register by name.
        found = queryset.filter(Among(NameGram.matching(value)))
        if len(value) > GRAM_LENGTH:
            found = found.filter(Q(name__icontains=value) | Q(company_name__icontains=value))
        return narrowed(found)

    def filter_room(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A room number names few units: the people are found from the units' index.
        return narrowed(
            queryset.filter(
                Among(
                    Occupancy.objects.filter(
                        status__in=self.occupancy_statuses, unit__room_no=value
                    ).values("resident_id")
                )
            )
        )

    def filter_estate(self, queryset, name, value):
        return queryset.filter(self.occupancies(estate=value)) if value else queryset

    def filter_building(self, queryset, name, value):
        return queryset.filter(self.occupancies(building=value)) if value else queryset

    def filter_role(self, queryset, name, value):
        return queryset.filter(self.occupancies(role=value)) if value else queryset

    def filter_occupied(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(self.occupancies(unit__status__in=LIVED_IN))
        if value == "no":
            return queryset.filter(
                HasOccupancy(
                    Occupancy.objects.filter(status__in=self.occupancy_statuses).exclude(
                        unit__status__in=LIVED_IN
                    )
                )
            )
        return queryset

    def filter_arrears(self, queryset, name, value):
        if value == "yes":
            return hooks.in_arrears(queryset)
        if value == "no":
            return queryset.exclude(pk__in=hooks.in_arrears(queryset).values("pk"))
        return queryset


class HistoryResidentFilterSet(ResidentFilterSet):
    occupancy_statuses = (OccupancyStatus.ENDED,)

    class Meta(ResidentFilterSet.Meta):
        fields = ["q", "room", "estate", "building", "role", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("occupied", "arrears"):
            self.filters.pop(name, None)
            self.form.fields.pop(name, None)


class RegistrationFilterSet(BaseFilterSet):
    search_fields = ("resident__name", "unit__room_no")
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices, label=_("Status"))
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))

    class Meta:
        model = Registration
        fields = ["q", "status", "estate"]
