"""Portal repair forms: report a repair, reject a completion, rate, cancel."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.forms import StyledForm
from courtyard.repairs.choices import MAX_PHOTOS, Urgency
from courtyard.repairs.models import RepairCategory


class MultiplePhotoInput(forms.ClearableFileInput):
    """A phone's camera or gallery, several photos at once.

    Drawn as the page's drop zone (``cy-photo-input``): the input lies unseen over its label,
    so a tap, a drop or the keyboard reaches it, without the browser's "No file chosen".
    """

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"class": "cy-photo-input", **(attrs or {})})


class PhotosField(forms.FileField):
    """Up to ``MAX_PHOTOS`` images; the service checks each one's type and size."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": "image/*", "multiple": True, "capture": "environment"})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(
                _("Attach at most %(max)d photos.") % {"max": MAX_PHOTOS}, code="too_many"
            )
        return [super(PhotosField, self).clean(f, initial) for f in files]


class RepairForm(StyledForm):
    """What a resident reports: where, what kind, what is wrong, how urgent, when to come."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=RepairCategory.objects.none(), empty_label=None
    )
    description = forms.CharField(
        label=_("What needs repairing?"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("e.g. The kitchen tap drips and the pipe leaks.")}
        ),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    preferred_time = forms.CharField(
        label=_("Preferred visit time"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. weekdays after 6 pm")}),
    )
    photos = PhotosField(label=_("Photos"), help_text=_("Up to 9 photos."))

    def __init__(self, homes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.homes = {home.unit.pk: home for home in homes}
        self.fields["unit"].choices = [
            (home.unit.pk, f"{home.estate.name} {home.unit.building.name} {home.unit.room_no}")
            for home in homes
        ]
        if len(homes) == 1:
            self.fields["unit"].initial = homes[0].unit.pk
        self.fields["category"].queryset = RepairCategory.objects.filter(is_active=True).order_by(
            "sort_order", "name"
        )

    def clean_unit(self):
        home = self.homes.get(self.cleaned_data["unit"])
        if home is None:
            raise ValidationError(_("Choose one of your units."), code="not_mine")
        return home.unit


class RejectForm(StyledForm):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RateForm(StyledForm):
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=pgettext_lazy("repair rating", "Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(StyledForm):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)
