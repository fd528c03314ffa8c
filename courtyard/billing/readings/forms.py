"""Forms of the meter reading pages: which grid to open, a correction, an acceptance."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import StyledForm

from .. import periods
from ..choices import Cycle, MeterType
from .selectors import grid_buildings
from .services import billed_meter_types, current_month

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MonthField(forms.CharField):
    """A month, YYYY-MM (the browser's month picker), not one that has not come yet."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"})

    def clean(self, value):
        value = super().clean(value)
        try:
            label = periods.parse(value, Cycle.MONTH).label
        except ValidationError:
            raise ValidationError(_("Write the month like 2026-11."), code="bad_period")
        if label > current_month():
            raise ValidationError(
                _("A month that has not come yet cannot be read."), code="future_period"
            )
        return label


class GridForm(StyledForm):
    """抄表: the building, meter and month of the grid, and the day the meters were read."""

    building = forms.ModelChoiceField(None, label=_("Building"))
    meter_type = forms.ChoiceField(
        label=_("Meter"), choices=MeterType.choices, initial=MeterType.WATER
    )
    period = MonthField(label=_("Month"))
    read_on = forms.DateField(label=_("Read on"), widget=DATE, required=False)

    def __init__(self, data=None, *, user, **kwargs):
        if data is not None and not data.get("read_on"):
            data = data.copy()  # the grid shows the day it assumes: today
            data["read_on"] = timezone.localdate().isoformat()
        super().__init__(data, **kwargs)
        buildings = grid_buildings(user)
        self.fields["building"].queryset = buildings
        self.fields["building"].label_from_instance = lambda b: f"{b.estate.name} · {b.name}"
        # Only the meters a charge item bills are read.
        self.fields["meter_type"].choices = [
            (meter.value, meter.label) for meter in billed_meter_types()
        ]
        self.initial.setdefault("period", current_month())
        self.initial.setdefault("meter_type", MeterType.WATER)

    def clean_read_on(self):
        day = self.cleaned_data.get("read_on") or timezone.localdate()
        if day > timezone.localdate():
            raise ValidationError(_("The reading date cannot be in the future."), code="bad_date")
        return day


class CorrectionForm(StyledForm):
    """A new figure for a saved reading (only a meter's latest, not yet billed)."""

    reading = forms.DecimalField(label=_("Reading"), max_digits=12, decimal_places=2, min_value=0)
    read_on = forms.DateField(label=_("Read on"), widget=DATE)


class AcceptForm(StyledForm):
    note = forms.CharField(
        label=_("Why the usage is right"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. renovation, the owner confirmed")}),
    )
