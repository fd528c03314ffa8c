"""The bill run form (生成周期账单): estate, buildings (none: all), cycle, period, items. It
collects the choice; ``runs_services.check_scope`` validates it against rights and rules."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.estate_model import estates_for
from courtyard.core.forms import StyledForm
from courtyard.core.references import referable
from courtyard.estates.models import Building

from ..choices import PERIODIC_PRICING, Cycle
from ..models import ChargeItem
from ..periods import containing


class BillRunForm(StyledForm):
    estate = forms.ModelChoiceField(None, label=_("Estate"))
    buildings = forms.ModelMultipleChoiceField(
        Building.objects.none(),
        label=_("Buildings"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("None ticked: every building of the estate."),
    )
    cycle = forms.ChoiceField(label=_("Cycle"), choices=Cycle.choices, initial=Cycle.MONTH)
    period = forms.CharField(
        label=_("Period"),
        max_length=7,
        help_text=_("A month 2026-11, a quarter 2026-Q4 or a year 2026."),
    )
    items = forms.ModelMultipleChoiceField(
        ChargeItem.objects.none(),
        label=_("Charge items"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    confirm_ahead = forms.BooleanField(
        label=_("Yes, bill this period in advance"),
        required=False,
        help_text=_("Needed for a period beyond the next one."),
    )

    def __init__(self, data=None, *, user, initial=None):
        initial = {"period": containing(timezone.localdate(), Cycle.MONTH).label, **(initial or {})}
        super().__init__(data, initial=initial)
        self.fields["estate"].queryset = estates_for(user)
        buildings = referable(user, Building.objects.order_by("name", "pk"))
        self.fields["buildings"].queryset = buildings
        estate = (data or {}).get("estate") if data is not None else self.initial.get("estate")
        # Only the chosen estate's buildings are offered (all in scope validate).
        chosen = buildings.filter(estate=estate) if str(estate or "").isdigit() else []
        self.fields["buildings"].choices = [(b.pk, b.name) for b in chosen]
        self.fields["items"].queryset = ChargeItem.objects.filter(
            is_active=True, pricing__in=PERIODIC_PRICING
        ).order_by("sort_order", "code")
        self.fields["items"].label_from_instance = lambda item: (
            f"{item.name} ({item.get_cycle_display()})"
        )
        self.style_fields()

    def choice(self):
        data = self.cleaned_data
        return {
            "estate": data["estate"],
            "buildings": list(data.get("buildings") or []),
            "cycle": data["cycle"],
            "period": data["period"],
            "items": list(data["items"]),
        }
