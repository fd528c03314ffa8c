"""Filter sets of the account administration lists (UI sidebar and API query alike)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet

from .models import Department, Role, User


class UserFilterSet(BaseFilterSet):
    search_fields = ("username", "full_name", "phone")

    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.all(), empty_label=_("All departments")
    )
    role = django_filters.ModelChoiceFilter(
        label=_("Role"),
        queryset=Role.objects.select_related("group"),
        method="filter_role",
        empty_label=_("All roles"),
    )
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(
            choices=[
                ("", _("Active and deactivated")),
                ("true", _("Active")),
                ("false", _("Deactivated")),
            ]
        ),
    )

    class Meta:
        model = User
        fields = ["q", "department", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Whoever sees users sees their departments and roles: no narrower choice lists.
        self.filters["department"].queryset = Department.objects.all()
        self.filters["role"].queryset = Role.objects.select_related("group")

    def filter_role(self, queryset, name, value):
        return queryset.filter(groups=value.group_id) if value else queryset


class RoleFilterSet(BaseFilterSet):
    search_fields = ("group__name", "description")

    class Meta:
        model = Role
        fields = ["q"]


class DepartmentFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Department
        fields = ["q"]
