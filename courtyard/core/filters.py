"""Base filter set: one definition drives the list sidebar, the API query and exports."""

from functools import reduce
from operator import or_

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .scoping import restrict


class BaseFilterSet(django_filters.FilterSet):
    """Adds ``q``, a free-text search over ``search_fields``, and scope-restricted choices."""

    search_fields: tuple = ()
    q = django_filters.CharFilter(method="search", label=_("Search"))

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            for f in self.filters.values():
                qs = getattr(f, "queryset", None)
                if qs is not None and hasattr(qs, "model"):
                    f.queryset = restrict(qs, user, "view")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        return queryset.filter(
            reduce(or_, (Q(**{f"{field}__icontains": value}) for field in self.search_fields))
        )

    @property
    def active_count(self):
        if not self.is_bound:
            return 0
        return sum(1 for key, value in self.data.items() if key in self.filters and value)
