"""QuickSelect writes the same select as Django's template-rendered one."""

import re

import pytest
from django import forms
from django.utils.safestring import mark_safe

from courtyard.core.forms import QuickSelect

CHOICES = [("", "Any"), ("1", "<一>"), ("2", "二"), (3, mark_safe("<b>三</b>"))]


def normalised(html):
    html = re.sub(r">\s+<", "><", html.strip())
    # Attributes in one order: Django's template keeps the given order, flatatt sorts them.
    return re.sub(
        r"<(\w+)([^>]*)>",
        lambda m: f"<{m.group(1)} {' '.join(sorted(m.group(2).split()))}>",
        html,
    )


@pytest.mark.parametrize(
    "choices, value, attrs",
    [
        (CHOICES, "2", {"class": "form-select", "id": "id_x"}),
        (CHOICES, None, {"id": "id_x", "disabled": True, "data-x": 'a"b'}),
        (CHOICES, 3, {}),
        ([("", "Any"), ("Group", [("1", "一"), ("2", "二")])], "1", {"required": True}),
    ],
)
def test_quick_select_matches_django(choices, value, attrs):
    django = forms.Select(choices=choices).render("x", value, attrs)
    quick = QuickSelect(choices=choices).render("x", value, attrs)
    assert normalised(quick) == normalised(django)


@pytest.mark.django_db
def test_quick_select_of_model_choices():
    from courtyard.estates.models import Estate
    from tests.factories import EstateFactory

    chosen = EstateFactory(name="翠湖花园")
    EstateFactory(name="滨江苑")
    django = forms.ModelChoiceField(Estate.objects.all())
    quick = forms.ModelChoiceField(Estate.objects.all(), widget=QuickSelect)
    for value in (None, chosen.pk):
        html = quick.widget.render("estate", value, {"id": "id_estate"})
        assert normalised(html) == normalised(
            django.widget.render("estate", value, {"id": "id_estate"})
        )
        assert (f'<option value="{chosen.pk}" selected>' in html) == (value is not None)
