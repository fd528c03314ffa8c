"""Filter set of the announcement list: the list's filter bar (the state is the list's tabs)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.accounts.models import User
from courtyard.core.estate_model import estates_for
from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import DateInput
from courtyard.estates.models import Estate

from .choices import NoticeCategory
from .models import Notice


def date_input(label):
    return DateInput(attrs={"aria-label": label})


class NoticeFilterSet(BaseFilterSet):
    search_fields = ("title", "content")
    estate = django_filters.ModelChoiceFilter(
        queryset=Estate.objects.all(), label=_("Estate"), method="filter_estate"
    )
    category = django_filters.ChoiceFilter(
        choices=NoticeCategory.choices, label=pgettext_lazy("announcement", "Category")
    )
    author = django_filters.ModelChoiceFilter(
        field_name="created_by", queryset=User.objects.none(), label=_("Author")
    )
    starts_from = django_filters.DateFilter(
        field_name="effective_from",
        lookup_expr="date__gte",
        label=_("Takes effect from"),
        widget=date_input(_("Takes effect from")),
    )
    starts_to = django_filters.DateFilter(
        field_name="effective_from",
        lookup_expr="date__lte",
        label=_("Takes effect to"),
        widget=date_input(_("Takes effect to")),
    )
    must_read = django_filters.BooleanFilter(
        label=_("Must read only"), widget=forms.CheckboxInput, method="filter_flag"
    )
    pinned = django_filters.BooleanFilter(
        label=_("Pinned only"), widget=forms.CheckboxInput, method="filter_flag"
    )

    class Meta:
        model = Notice
        fields = ["q", "estate", "category", "author"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        # The scope decides, not the right to read the estate or staff registers.
        self.filters["estate"].queryset = estates_for(user) if user else Estate.objects.none()
        authors = Notice.objects.order_by().values("created_by")
        if user is not None:
            from .selectors import visible_notices

            authors = visible_notices(user).order_by().values("created_by")
        self.filters["author"].queryset = User.objects.filter(pk__in=authors).order_by(
            "full_name", "pk"
        )
        self.form.fields["author"].label_from_instance = lambda author: author.display_name

    def filter_estate(self, queryset, name, value):
        if not value:
            return queryset
        through = Notice.estates.through.objects.filter(estate=value).values("notice_id")
        return queryset.filter(pk__in=through)

    def filter_flag(self, queryset, name, value):
        return queryset.filter(Q(**{name: True})) if value else queryset
