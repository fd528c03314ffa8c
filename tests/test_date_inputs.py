"""Date filters show dates as the pages do (2026-03-05) with a hint in the user's language,
never the browser's own mm/dd/yyyy inside a Chinese page (issue 19 point 19)."""

import django_filters
import pytest
from django import forms
from django.urls import get_resolver

from courtyard.core.forms import DateInput
from courtyard.repairs.statistics.views import RangeForm


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def date_widgets():
    get_resolver().url_patterns  # import every module's views, and so their filters  # noqa: B018
    for filterset in all_subclasses(django_filters.FilterSet):
        for name, declared in filterset.declared_filters.items():
            if issubclass(declared.field_class, forms.DateField):
                yield f"{filterset.__name__}.{name}", declared.extra.get("widget")
    for name, field in RangeForm.base_fields.items():
        if isinstance(field, forms.DateField):
            yield f"RangeForm.{name}", field.widget


def test_every_date_filter_uses_the_shared_date_input():
    widgets = dict(date_widgets())
    assert len(widgets) >= 8
    wrong = [name for name, widget in widgets.items() if not isinstance(widget, DateInput)]
    assert wrong == []


def test_the_date_input_is_text_with_the_format_as_hint():
    html = DateInput(attrs={"aria-label": "From"}).render("start", "2026-03-05")
    assert 'type="text"' in html and 'placeholder="yyyy-mm-dd"' in html
    assert 'value="2026-03-05"' in html and 'aria-label="From"' in html


@pytest.mark.django_db
def test_a_typed_date_filters_in_either_language(client, admin_user):
    client.force_login(admin_user)
    for language in ("zh-hans", "en"):
        client.cookies["django_language"] = language
        response = client.get("/billing/payments/", {"paid_from": "2026-03-05"})
        assert response.status_code == 200
        assert 'type="date"' not in response.content.decode()
