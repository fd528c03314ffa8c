"""Forms of the repairs pages: they collect input; the services validate and write."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import ScopedModelForm, StyledForm
from courtyard.residents.forms import UnitPickerMixin

from .choices import MAX_PHOTOS, Source, Urgency
from .models import RepairCategory

TEXT = {"rows": 3}


class PhotoInput(forms.ClearableFileInput):
    """Several photos at once; on a phone the camera opens straight away."""

    allow_multiple_selected = True

    def __init__(self, attrs=None, capture=False):
        attrs = {"accept": "image/*", **(attrs or {})}
        if capture:
            attrs["capture"] = "environment"
        super().__init__(attrs)


class PhotoField(forms.FileField):
    """Up to nine photos; the service checks each by content and size."""

    def __init__(self, *args, capture=False, **kwargs):
        kwargs.setdefault("widget", PhotoInput(capture=capture))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", _("JPEG or PNG, at most %(count)s photos.") % {"count": MAX_PHOTOS}
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("At most %(count)s photos."), code="too_many_photos", params={"count": MAX_PHOTOS}
            )
        return files


def category_field():
    return forms.ModelChoiceField(
        RepairCategory.objects.filter(is_active=True).order_by("sort_order", "name"),
        label=_("Category"),
    )


class WorkOrderForm(UnitPickerMixin, StyledForm):
    """A request taken by phone, at the desk or on an inspection round: a unit or a public
    area (building and location), what is wrong, how urgent, whom to call."""

    location = forms.CharField(
        label=_("Location (public area)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. lift lobby, 2nd floor corridor")}),
        help_text=_("For a public area: leave the room empty and say where."),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs=TEXT))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[(s.value, s.label) for s in Source if s != Source.PORTAL],
        initial=Source.PHONE,
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    preferred_time = forms.CharField(
        label=_("Preferred visit time"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. weekdays after 18:00")}),
    )
    is_paid = forms.BooleanField(label=_("Paid repair"), required=False)
    photos = PhotoField(label=_("Photos"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = category_field()
        self.order_fields(["category", "description", "urgency", "source"])
        self.setup_picker(user)
        self.fields["unit"].required = False
        self.fields["unit"].help_text = _("Leave empty for a public area.")
        self.style_fields()

    def service_kwargs(self):
        data = self.cleaned_data
        picked = self.picked
        return {
            "category": data["category"],
            "description": data["description"],
            "urgency": data["urgency"],
            "source": data["source"],
            "unit": data.get("unit"),
            "building": picked["building"],
            "estate": picked["estate"],
            "location": data.get("location", ""),
            "contact_name": data.get("contact_name", ""),
            "contact_phone": data.get("contact_phone", ""),
            "preferred_time": data.get("preferred_time", ""),
            "is_paid": data.get("is_paid", False),
            "photos": data.get("photos") or [],
        }


class DispatchForm(StyledForm):
    """Whom to send: one of the candidates (the suggested one chosen first) and a note."""

    assignee = forms.TypedChoiceField(
        label=_("Technician"), coerce=int, widget=forms.RadioSelect, choices=()
    )
    note = forms.CharField(
        label=_("Dispatch note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("e.g. Call the resident within 30 minutes")}
        ),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {candidate[0].pk: candidate[0] for candidate in candidates}
        self.fields["assignee"].choices = [
            (pk, user.display_name) for pk, user in self.candidates.items()
        ]

    def clean_assignee(self):
        return self.candidates[self.cleaned_data["assignee"]]


class FollowUpForm(StyledForm):
    text = forms.CharField(
        label=_("Progress"),
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("e.g. Parts ordered, back tomorrow morning")}
        ),
    )
    photos = PhotoField(label=_("Photos"), capture=True)


class CompleteForm(StyledForm):
    """The completion: what was done, with what, at what cost, photos, the signature."""

    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs=TEXT))
    materials = forms.CharField(
        label=_("Materials"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("e.g. 1 tap cartridge")}),
    )
    cost = forms.DecimalField(
        label=_("Cost (CNY)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        initial=Decimal("0.00"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    photos = PhotoField(label=_("Completion photos"), capture=True)
    signature = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.signature_required = order.category.requires_signature

    def clean_signature(self):
        value = self.cleaned_data.get("signature", "")
        if value and not value.startswith("data:image/png;base64,"):
            raise forms.ValidationError(_("The signature could not be read; sign again."))
        return value

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "work_done": data["work_done"],
            "materials": data.get("materials", ""),
            "cost": data.get("cost") or Decimal("0"),
            "photos": data.get("photos") or [],
            "signature": data.get("signature") or None,
        }


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class RepairCategoryForm(ScopedModelForm):
    """报修类别: its name, place in the lists, whether completion needs a signature, active."""

    class Meta:
        model = RepairCategory
        fields = ["name", "name_en", "code", "sort_order", "requires_signature", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Other parts find the seeded categories by their code: it is fixed once created.
            del self.fields["code"]
        else:
            self.fields["code"].required = False
            self.fields["code"].help_text = _(
                "Letters, digits and hyphens; left empty, one is made up. It cannot change later."
            )
        self.fields["sort_order"].help_text = _("Smaller numbers come first in the lists.")
        self.fields["is_active"].help_text = _(
            "An inactive category is offered for no new order and no technician; "
            "the orders that have it keep it."
        )
        self.style_fields()


class TechnicianSkillsForm(StyledForm):
    """技师技能: the repair categories a technician covers (the dispatch page suggests them)."""

    categories = forms.ModelMultipleChoiceField(
        queryset=RepairCategory.objects.filter(is_active=True).order_by("sort_order", "pk"),
        label=_("Repair categories covered"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Orders of these categories suggest this technician when dispatching."),
    )

    def __init__(self, data=None, files=None, *, instance, user, initial=None):
        initial = {"categories": [row.category_id for row in instance.repair_skills.all()]}
        super().__init__(data, initial=initial)
        self.instance, self.user = instance, user

    def service_kwargs(self):
        return {"categories": list(self.cleaned_data["categories"])}
