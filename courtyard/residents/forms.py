"""Forms of the residents pages: they collect input; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from courtyard.core.forms import StyledForm
from courtyard.core.references import referable
from courtyard.estates.models import Building, Entrance, Estate, Unit

from .choices import MAIN_ROLES, DocumentPurpose, ResidentKind, Role, VehicleKind
from .selectors import with_occupants
from .services import PersonInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the service checks each by content and size."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def room_label(unit):
    """A room of the picker, marked when people live there already."""
    if not unit.occupants:
        return unit.room_no
    return ngettext(
        "%(room)s — %(count)s person lives here",
        "%(room)s — %(count)s people live here",
        unit.occupants,
    ) % {"room": unit.room_no, "count": unit.occupants}


class UnitPickerMixin:
    """Estate → building → entrance → room: each select narrows the next.

    The picker's container reloads itself on any change (htmx, one listener that survives the
    swap); hidden ``prev_*`` inputs tell the server which select changed.
    """

    picker_fields = ("estate", "building", "entrance", "unit")

    def setup_picker(self, user):
        from courtyard.core.estate_model import estates_for

        # Listed by the data scope: registering people needs no right to edit the register.
        self.fields["estate"] = forms.ModelChoiceField(
            estates_for(user), label=_("Estate"), required=False
        )
        self.fields["building"] = forms.ModelChoiceField(
            Building.objects.none(), label=_("Building"), required=False
        )
        self.fields["entrance"] = forms.ModelChoiceField(
            Entrance.objects.none(), label=_("Entrance"), required=False
        )
        self.fields["unit"] = forms.ModelChoiceField(
            Unit.objects.none(), label=_("Room"), help_text=_("Choose the entrance first.")
        )
        # Each select is narrowed by the one before: the short name is enough.
        self.fields["building"].label_from_instance = lambda building: building.name
        self.fields["entrance"].label_from_instance = lambda entrance: entrance.name
        # Named by the data scope, whatever the rights on the register (core.references).
        buildings = referable(user, Building)
        entrances = referable(user, Entrance)
        units = referable(user, Unit.objects.select_related("entrance"))
        estate = self._picked("estate", self.fields["estate"].queryset)
        building = self._picked("building", buildings)
        entrance = self._picked("entrance", entrances)
        unit = self._picked("unit", units)
        if unit is not None:
            entrance = entrance or unit.entrance
        if entrance is not None:
            building = building or Building.objects.get(pk=entrance.building_id)
        if building is not None:
            estate = estate or Estate.objects.get(pk=building.estate_id)
        if building and estate and building.estate_id != estate.pk:
            building = entrance = unit = None
        if entrance and building and entrance.building_id != building.pk:
            entrance = unit = None
        if unit and entrance and unit.entrance_id != entrance.pk:
            unit = None
        self.fields["building"].queryset = (
            buildings.filter(estate=estate) if estate else buildings.none()
        )
        self.fields["entrance"].queryset = (
            entrances.filter(building=building) if building else entrances.none()
        )
        # Any unit in scope validates (the API and a resubmission need no cascade);
        # only the offered options are narrowed to the chosen entrance.
        self.fields["unit"].queryset = units
        offered = (
            with_occupants(units.filter(entrance=entrance)).order_by("floor", "room_no")
            if entrance
            else []
        )
        self.fields["unit"].choices = [("", "---------")] + [(u.pk, room_label(u)) for u in offered]
        if entrance is not None:
            self.fields["unit"].help_text = ""
        self.picked = {"estate": estate, "building": building, "entrance": entrance, "unit": unit}
        for name in self.picker_fields:
            self.initial[name] = self.picked[name].pk if self.picked[name] else None

    def _picked(self, name, queryset):
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        if not value:
            return None
        try:
            return queryset.get(pk=value)
        except (queryset.model.DoesNotExist, ValueError, TypeError):
            return None


class RegistrationForm(UnitPickerMixin, StyledForm):
    """新增住户: the unit, the owner or tenant, the move-in date and documents."""

    role = forms.ChoiceField(
        label=_("Registered as"),
        choices=[(r.value, r.label) for r in Role if r in MAIN_ROLES],
        initial=Role.OWNER,
    )
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResidentKind.choices)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        help_text=_("18 characters; stored masked (first 6 and last 4)."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    emergency_contact = forms.CharField(
        label=_("Emergency contact"), max_length=100, required=False
    )
    emergency_phone = forms.CharField(label=_("Emergency phone"), max_length=20, required=False)
    move_in = forms.DateField(label=_("Move-in date"), widget=DATE)
    previous_owner_move_out = forms.DateField(
        label=_("Present owner moves out on"),
        required=False,
        widget=DATE,
        help_text=_("Only when the unit changes hands: the present owner's move-out date."),
    )
    deeds = MultipleFileField(label=_("Property deed"))
    leases = MultipleFileField(label=_("Lease"))
    others = MultipleFileField(label=_("Other documents"))
    note = forms.CharField(
        label=_("Note"), max_length=255, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    person_fields = ("role", "name", "kind", "company_name", "id_number", "phone", "email")
    contact_fields = ("emergency_contact", "emergency_phone")

    def __init__(self, *args, user, registration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.registration = registration
        self.setup_picker(user)
        if registration is not None:
            masked = registration.resident.id_number_masked
            if masked:
                self.fields["id_number"].help_text = _(
                    "Leave empty to keep %(masked)s; type it only to correct it."
                ) % {"masked": masked}
        self.style_fields()

    def person(self):
        data = self.cleaned_data
        values = {
            name: data.get(name) or "" for name in (*self.person_fields, *self.contact_fields)
        }
        person = PersonInput(**values)
        if self.registration is not None and not person.id_number:
            person.resident = self.registration.resident
        return person

    def documents(self):
        data = self.cleaned_data
        return (
            [(DocumentPurpose.DEED, f) for f in data.get("deeds") or []]
            + [(DocumentPurpose.LEASE, f) for f in data.get("leases") or []]
            + [(DocumentPurpose.OTHER, f) for f in data.get("others") or []]
        )


class MemberForm(StyledForm):
    """A household member of the new resident (a row of the small formset)."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100, required=False)
    relation = forms.CharField(
        label=_("Relation"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("spouse, child …")}),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    resident = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def is_blank(self):
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(n) for n in ("name", "id_number", "phone"))

    def person(self, known=None):
        data = self.cleaned_data
        person = PersonInput(
            name=data.get("name") or "",
            role=Role.MEMBER,
            id_number=data.get("id_number") or "",
            phone=data.get("phone") or "",
            relation=data.get("relation") or "",
        )
        if not person.id_number and data.get("resident") and known:
            person.resident = known.get(data["resident"])
        return person


MemberFormSet = forms.formset_factory(MemberForm, extra=0, max_num=12, absolute_max=12)


class ContactForm(StyledForm):
    """Non-core fields: the change permission is enough."""

    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    emergency_contact = forms.CharField(
        label=_("Emergency contact"), max_length=100, required=False
    )
    emergency_phone = forms.CharField(label=_("Emergency phone"), max_length=20, required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, resident, **kwargs):
        kwargs.setdefault("initial", {name: getattr(resident, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)


class ConfirmationFields(forms.Form):
    confirmation_note = forms.CharField(
        label=_("Owner's confirmation"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("How the owner confirmed this change (who, when, in what form)."),
    )
    confirmation_file = forms.FileField(
        label=_("Signed confirmation"),
        required=False,
        help_text=_("A PDF or photo of the owner's signed confirmation."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class CoreForm(StyledForm):
    """Core fields: their own permission and the owner's confirmation (note + document)."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResidentKind.choices)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    id_number = forms.CharField(
        label=_("New ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    confirmation_note = ConfirmationFields.base_fields["confirmation_note"]
    confirmation_file = ConfirmationFields.base_fields["confirmation_file"]

    def __init__(self, *args, resident, **kwargs):
        kwargs.setdefault(
            "initial",
            {"name": resident.name, "kind": resident.kind, "company_name": resident.company_name},
        )
        super().__init__(*args, **kwargs)
        self.resident = resident
        if resident.id_number_masked:
            self.fields["id_number"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
                "masked": resident.id_number_masked
            }

    def changes(self):
        data = self.cleaned_data
        result = {
            name: data[name]
            for name in ("name", "kind", "company_name")
            if data.get(name) != getattr(self.resident, name)
        }
        if data.get("id_number"):
            result["id_number"] = data["id_number"]
        return result


class OccupancyCoreForm(StyledForm):
    """Ownership of a unit (owner / tenant / member): core information, with confirmation."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    confirmation_note = ConfirmationFields.base_fields["confirmation_note"]
    confirmation_file = ConfirmationFields.base_fields["confirmation_file"]


class MoveOutForm(StyledForm):
    move_out = forms.DateField(label=_("Move-out date"), widget=DATE)


class ArchiveForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class VehicleForm(StyledForm):
    plate = forms.CharField(
        label=_("Licence plate"),
        max_length=10,
        widget=forms.TextInput(attrs={"placeholder": _("Licence plate, e.g. 沪A12345")}),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=VehicleKind.choices)


class MemberAddForm(StyledForm):
    """A household member joins one of the person's units at once (of those the user may
    name: a person may also live in an estate outside the user's scope)."""

    unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Unit"))
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    relation = forms.CharField(label=_("Relation"), max_length=50, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    move_in = forms.DateField(label=_("Move-in date"), widget=DATE, required=False)

    def __init__(self, *args, units, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = referable(user, units)
        self.fields["unit"].label_from_instance = lambda unit: str(unit)
        self.style_fields()

    def person(self):
        data = self.cleaned_data
        return PersonInput(
            name=data["name"],
            role=Role.MEMBER,
            id_number=data.get("id_number") or "",
            phone=data.get("phone") or "",
            relation=data.get("relation") or "",
        )
