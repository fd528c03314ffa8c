"""Filter set of the work order list: the list's sidebar, the API query and the Excel export."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.accounts.models import User
from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import DateInput, QuickSelect
from courtyard.estates.models import Building, Estate

from .choices import Source, Urgency
from .models import RepairCategory, TechnicianSkill, WorkOrder
from .services import technicians

DATE = DateInput()


class WorkOrderFilterSet(BaseFilterSet):
    search_fields = ("number", "description", "contact_name", "contact_phone")
    # The selects are QuickSelects: Django's widget templates cost a list page more than its
    # SQL (the building and technician filters list every building and technician).
    estate = django_filters.ModelChoiceFilter(
        queryset=Estate.objects.all(), label=_("Estate"), widget=QuickSelect
    )
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"), label=_("Building"), widget=QuickSelect
    )
    category = django_filters.ModelChoiceFilter(
        queryset=RepairCategory.objects.order_by("sort_order", "pk"),
        label=_("Category"),
        widget=QuickSelect,
    )
    urgency = django_filters.ChoiceFilter(
        choices=Urgency.choices, label=_("Urgency"), widget=QuickSelect
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), label=_("Assignee"), widget=QuickSelect
    )
    source = django_filters.ChoiceFilter(
        choices=Source.choices, label=_("Source"), widget=QuickSelect
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("Overdue only"),
        widget=forms.CheckboxInput,
    )
    reported_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Reported from"), widget=DATE
    )
    reported_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Reported to"), widget=DATE
    )

    class Meta:
        model = WorkOrder
        fields = ["q", "estate", "building", "category", "urgency", "assignee", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Technicians by role, not by the right to read the staff register (clerks lack it).
        self.filters["assignee"].queryset = technicians().order_by("full_name", "pk")
        # Every category, not only for those who may manage the list: a category is shown on
        # every order, and a refused choice would drop all the filters (the whole list shown).
        self.filters["category"].queryset = RepairCategory.objects.order_by("sort_order", "pk")
        fields = self.form.fields
        session = getattr(self.request, "session", None) or {}
        estate = self._chosen("estate") or session.get("estate_id")
        buildings = fields["building"].queryset
        any_label = fields["building"].empty_label

        # Only the offered options shrink to the chosen estate; read when the page renders.
        def building_choices():
            chosen = buildings.filter(estate=estate) if estate else buildings
            return [("", any_label)] + [(b.pk, b.name if estate else str(b)) for b in chosen]

        fields["building"].widget.choices = building_choices
        fields["assignee"].label_from_instance = lambda user: user.display_name

    def _chosen(self, name):
        value = self.data.get(name) if self.data else None
        return int(value) if value and str(value).isdigit() else None

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(WorkOrder.overdue_q())


class RepairCategoryFilterSet(BaseFilterSet):
    search_fields = ("name", "code")
    is_active = django_filters.BooleanFilter(
        label=_("Active only"), widget=forms.CheckboxInput, method="filter_active"
    )

    class Meta:
        model = RepairCategory
        fields = ["q", "is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=True) if value else queryset


class TechnicianFilterSet(BaseFilterSet):
    """The technicians' skills page: by name and by a category they cover (or none)."""

    search_fields = ("full_name", "username")
    category = django_filters.ModelChoiceFilter(
        queryset=RepairCategory.objects.order_by("sort_order", "pk"),
        label=_("Covers category"),
        method="filter_category",
        widget=QuickSelect,
    )
    without_skills = django_filters.BooleanFilter(
        label=_("Without skills only"), widget=forms.CheckboxInput, method="filter_without"
    )

    class Meta:
        model = User
        fields = ["q", "category", "without_skills"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Whoever sets skills chooses among every category, as the work order filter does.
        self.filters["category"].queryset = RepairCategory.objects.order_by("sort_order", "pk")
        self.form.fields["q"].label = _("Name or username")

    def filter_category(self, queryset, name, value):
        if not value:
            return queryset
        skilled = TechnicianSkill.objects.filter(category=value).values("user_id")
        return queryset.filter(pk__in=skilled)

    def filter_without(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.exclude(pk__in=TechnicianSkill.objects.values("user_id"))
