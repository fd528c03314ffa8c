"""Forms of charge items, rates and parking spaces: they collect input; the services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.core.estate_model import estates_for
from courtyard.core.forms import ScopedModelForm, StyledForm
from courtyard.core.references import referable
from courtyard.core.scoping import may_change_company_wide
from courtyard.estates.choices import UnitUse
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.forms import UnitPickerMixin
from courtyard.residents.models import Resident, Vehicle

from ..choices import ParkingKind, Pricing
from ..models import ChargeItem
from .selectors import rate_unit
from .services import rate_uses

TIER_ROWS = 4


class ChargeItemForm(ScopedModelForm):
    """计费项目: what is billed, how it is priced, how often, when due and for which units."""

    applies_to = forms.MultipleChoiceField(
        label=_("Applies to unit uses"),
        choices=UnitUse.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave all unticked for every unit use."),
    )

    class Meta:
        model = ChargeItem
        fields = [
            "code",
            "name",
            "name_en",
            "kind",
            "pricing",
            "cycle",
            "meter_type",
            "due_days",
            "applies_to",
            "is_deposit",
            "is_active",
            "sort_order",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Other parts find the seeded items by their code: it is fixed once created.
            del self.fields["code"]
        else:
            self.fields["code"].help_text = _(
                "Letters, digits and hyphens, e.g. garbage-fee; it cannot change later."
            )
        self.fields["cycle"].help_text = _("One-off items have no cycle.")
        self.fields["meter_type"].help_text = _("Metered items only.")
        self.style_fields()


class ChargeRateForm(StyledForm):
    """One rate: for every estate (the default) or one estate, for every use or one; a
    metered item's rate may be tiered (each tier's price on the usage up to its bound)."""

    estate = forms.ModelChoiceField(None, label=_("Estate"), required=False)
    unit_use = forms.ChoiceField(label=_("For"), required=False)
    rate = forms.DecimalField(
        label=_("Rate"), max_digits=12, decimal_places=4, min_value=0, required=False
    )

    def __init__(self, data=None, *, user, item, instance=None, initial=None):
        super().__init__(data, initial=initial)
        self.item, self.instance = item, instance
        estate_field = self.fields["estate"]
        estate_field.queryset = estates_for(user)
        estate_field.empty_label = _("Default for every estate")
        if not may_change_company_wide(user):  # the defaults hold for every estate
            estate_field.required = True
            estate_field.empty_label = None
        uses = rate_uses(item)
        every = _("Every space") if uses is ParkingKind else _("Every use")
        self.fields["unit_use"].choices = [("", every), *uses.choices]
        unit = rate_unit(item)
        self.fields["rate"].label = (
            _("Rate (per %(unit)s)") % {"unit": unit} if unit else _("Amount")
        )
        if item.pricing == Pricing.FIXED:
            self.fields["rate"].help_text = _("0 means the amount is typed on each bill.")
        self.tiered = item.pricing == Pricing.METERED
        if self.tiered:
            self.fields["rate"].help_text = _(
                "A single price per unit of usage; or leave it empty and fill in the tiers."
            )
            for index in range(1, TIER_ROWS + 1):
                self.fields[f"tier_upto_{index}"] = forms.DecimalField(
                    label=_("Tier %(n)s up to") % {"n": index},
                    max_digits=12,
                    decimal_places=2,
                    min_value=0,
                    required=False,
                )
                self.fields[f"tier_rate_{index}"] = forms.DecimalField(
                    label=_("Tier %(n)s rate") % {"n": index},
                    max_digits=12,
                    decimal_places=4,
                    min_value=0,
                    required=False,
                )
        if instance is not None:
            self._fill_from(instance)
        self.style_fields()

    def _fill_from(self, instance):
        """Editing changes only the figures: the estate and use are shown, not offered."""
        for name in ("estate", "unit_use"):
            self.fields[name].disabled = True
        self.initial.update(
            {"estate": instance.estate_id, "unit_use": instance.unit_use, "rate": instance.rate}
        )
        for index, tier in enumerate(instance.tiers or [], start=1):
            if index > TIER_ROWS:
                break
            self.initial[f"tier_upto_{index}"] = tier.get("upto")
            self.initial[f"tier_rate_{index}"] = tier.get("rate")

    def tier_rows(self):
        """(bound “up to” field, bound rate field) per tier row, for the template."""
        if not self.tiered:
            return []
        return [
            (self[f"tier_upto_{index}"], self[f"tier_rate_{index}"])
            for index in range(1, TIER_ROWS + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        tiers = []
        if self.tiered:
            for index in range(1, TIER_ROWS + 1):
                upto, rate = cleaned.get(f"tier_upto_{index}"), cleaned.get(f"tier_rate_{index}")
                if upto is None and rate is None:
                    continue
                if rate is None:
                    self.add_error(f"tier_rate_{index}", _("Enter the tier's rate."))
                    continue
                tiers.append({"upto": None if upto is None else str(upto), "rate": str(rate)})
        cleaned["tiers"] = tiers
        if cleaned.get("rate") is None and not tiers and "rate" not in self.errors:
            self.add_error("rate", _("Enter the rate."))
        return cleaned

    def service_kwargs(self):
        data = self.cleaned_data
        rate = data["rate"] if data.get("rate") is not None else data["tiers"][0]["rate"]
        kwargs = {"rate": rate, "tiers": data["tiers"]}
        if self.instance is None:
            kwargs.update(item=self.item, estate=data.get("estate"), unit_use=data["unit_use"])
        return kwargs


class ParkingSpaceForm(UnitPickerMixin, StyledForm):
    """车位: its estate and number, rented or owned, who uses it with which vehicle, and the
    unit whose account its bills go to. Choosing a unit offers its residents; choosing a
    resident, their vehicles."""

    code = forms.CharField(label=_("Space number"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=ParkingKind.choices)
    area = forms.CharField(
        label=_("Area / level"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. B1 north")}),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, data=None, files=None, *, user, instance=None, initial=None):
        initial = dict(initial or {})
        if instance is not None and data is None:
            initial.update(
                estate=instance.estate_id,
                unit=instance.unit_id,
                code=instance.code,
                kind=instance.kind,
                area=instance.area,
                resident=instance.resident_id,
                vehicle=instance.vehicle_id,
                is_active=instance.is_active,
                note=instance.note,
            )
        super().__init__(data, files, initial=initial)
        self.instance = instance
        self.setup_picker(user)
        self.fields["estate"].required = True
        unit = self.fields["unit"]
        unit.required = False
        unit.label = _("Billed to unit")
        if self.picked["entrance"] is None:
            unit.help_text = _("Optional: the unit whose account the parking bills go to.")
        self._people(user)
        self.order_fields(
            ["estate", "code", "kind", "area", "building", "entrance", "unit", "resident"]
        )
        self.style_fields()

    def _people(self, user):
        """The resident select offers the unit's people; the vehicle select, theirs."""
        residents = referable(user, Resident)
        vehicles = referable(user, Vehicle)
        self.fields["resident"] = forms.ModelChoiceField(
            residents, label=_("Resident using it"), required=False
        )
        self.fields["vehicle"] = forms.ModelChoiceField(
            vehicles, label=_("Vehicle"), required=False
        )
        unit = self.picked["unit"]
        resident = self._picked("resident", residents)
        offered = []
        if unit is not None:
            offered = list(
                residents.filter(
                    occupancies__unit=unit, occupancies__status=OccupancyStatus.CURRENT
                ).distinct()
            )
        if resident is not None and resident not in offered:
            offered.append(resident)
        self.fields["resident"].choices = [("", "---------")] + [(r.pk, r.name) for r in offered]
        if unit is None:
            self.fields["resident"].help_text = _("Choose the unit to list its residents.")
        vehicle = self._picked("vehicle", vehicles)
        own = list(vehicles.filter(resident=resident)) if resident else []
        if vehicle is not None and vehicle not in own:
            own.append(vehicle)
        self.fields["vehicle"].choices = [("", "---------")] + [(v.pk, v.plate) for v in own]
        self.picked.update(resident=resident, vehicle=vehicle)
        self.initial.update(
            resident=resident.pk if resident else None, vehicle=vehicle.pk if vehicle else None
        )

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "estate": data["estate"],
            "code": data["code"],
            "kind": data["kind"],
            "area": data.get("area", ""),
            "resident": data.get("resident"),
            "vehicle": data.get("vehicle"),
            "unit": data.get("unit"),
            "is_active": data.get("is_active", False),
            "note": data.get("note", ""),
        }
