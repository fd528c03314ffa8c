"""Forms of the announcement pages: they collect input; the services validate and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.estate_model import estates_for
from courtyard.core.files import DOCUMENT_KINDS, IMAGE_KINDS, validate_upload
from courtyard.core.forms import StyledForm
from courtyard.core.references import referable
from courtyard.estates.models import Building, Unit
from courtyard.residents.models import Resident

from .choices import (
    TEMPLATE_VARIABLES,
    TITLE_MAX_LENGTH,
    AttachmentPurpose,
    AudienceKind,
    NoticeCategory,
    NoticeChannel,
)
from .models import NoticeTemplate
from .sanitize import clean_rich

MAX_FILES = 10
DATETIME = forms.DateTimeInput(
    attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M"
)


def ids(values):
    """Whole numbers of a list of submitted values, others dropped, order kept, no repeats."""
    return list(dict.fromkeys(int(v) for v in values if str(v).isdigit()))


class FileListInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FileListField(forms.FileField):
    """Several files at once, each checked by its content (PDF, JPEG or PNG)."""

    def __init__(self, *args, kinds=DOCUMENT_KINDS, **kwargs):
        self.kinds = kinds
        accept = ",".join(
            {"pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg", "png": ".png"}[k] for k in kinds
        )
        kwargs.setdefault("widget", FileListInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        files = [single(item, initial) for item in items if item]
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("At most %(count)s files at once."), code="too_many", params={"count": MAX_FILES}
            )
        errors = []
        for uploaded in files:
            try:
                validate_upload(uploaded, self.kinds)
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return files


class AudienceForm(StyledForm):
    """Who a notice reaches: the kind, the estates, and the buildings, units or people.

    Also the picker's own form (the audience card reloads itself as choices change).
    """

    audience_kind = forms.ChoiceField(
        label=_("Audience"),
        choices=AudienceKind.choices,
        initial=AudienceKind.ESTATES,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    estates = forms.ModelMultipleChoiceField(
        label=_("Estates"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"), queryset=None, required=False, widget=forms.MultipleHiddenInput
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Units"), queryset=None, required=False, widget=forms.MultipleHiddenInput
    )
    residents = forms.ModelMultipleChoiceField(
        label=_("Residents"), queryset=None, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        fields = self.fields
        fields["estates"].queryset = estates_for(user)
        # Named by the data scope (core.references), whatever the rights on the register; the
        # service checks that each place and person lies in the chosen estates.
        fields["buildings"].queryset = referable(user, Building).order_by("estate__name", "name")
        fields["units"].queryset = referable(
            user, Unit.objects.select_related("building", "entrance")
        )
        fields["residents"].queryset = referable(user, Resident)

    def value_ids(self, name):
        """The ids chosen in ``name``, as submitted (or as first shown)."""
        if self.is_bound:
            return ids(self.data.getlist(name) if hasattr(self.data, "getlist") else [])
        return ids(v.pk if hasattr(v, "pk") else v for v in self.initial.get(name) or ())

    def kind(self):
        value = self["audience_kind"].value() or AudienceKind.ESTATES
        return value if value in AudienceKind.values else AudienceKind.ESTATES

    def building_groups(self):
        """The buildings of the chosen estates, by estate (the buildings checkboxes)."""
        estates = set(self.value_ids("estates"))
        chosen = set(self.value_ids("buildings"))
        groups = {}
        queryset = self.fields["buildings"].queryset.filter(estate_id__in=estates)
        for building in queryset.select_related("estate"):
            group = groups.setdefault(building.estate_id, (building.estate.name, []))
            group[1].append((building, building.pk in chosen))
        return list(groups.values())

    def chosen_units(self):
        wanted = self.value_ids("units")
        found = self.fields["units"].queryset.filter(pk__in=wanted).select_related("estate")
        return sorted(found, key=lambda unit: wanted.index(unit.pk))

    def chosen_residents(self):
        wanted = self.value_ids("residents")
        found = self.fields["residents"].queryset.filter(pk__in=wanted)
        return sorted(found, key=lambda person: wanted.index(person.pk))

    def audience_kwargs(self):
        data = self.cleaned_data
        kind = data["audience_kind"]
        return {
            "audience_kind": kind,
            "estates": list(data["estates"]),
            "buildings": list(data["buildings"]) if kind == AudienceKind.BUILDINGS else [],
            "units": list(data["units"]) if kind == AudienceKind.UNITS else [],
            "residents": list(data["residents"]) if kind == AudienceKind.RESIDENTS else [],
        }


class NoticeForm(AudienceForm):
    """新增公告 / edit: the draft's fields, its files, and its audience."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    category = forms.ChoiceField(
        label=pgettext_lazy("announcement", "Category"),
        choices=NoticeCategory.choices,
        initial=NoticeCategory.NOTICE,
    )
    content = forms.CharField(
        label=_("Content"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "notice-content-source"}),
    )
    effective_from = forms.DateTimeField(label=_("Takes effect"), widget=DATETIME)
    effective_to = forms.DateTimeField(
        label=_("Ends"),
        required=False,
        widget=DATETIME,
        help_text=_("Leave empty for no end. After the end the announcement expires."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Push channels"),
        choices=NoticeChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Sent once to each resident when the announcement is published."),
    )
    must_read = forms.BooleanField(
        label=_("Must read"),
        required=False,
        help_text=_("The portal shows it as a pop-up until the resident confirms reading."),
    )
    pinned = forms.BooleanField(
        label=_("Pinned"), required=False, help_text=_("Shown on top of the residents' list.")
    )
    resend_on_publish = forms.BooleanField(
        label=_("Send again on publishing"),
        required=False,
        help_text=_("Push it again to residents who already received it."),
    )
    attachments = FileListField(label=_("Attachments"), help_text=_("PDF, JPEG or PNG."))
    posters = FileListField(
        label=_("Posters"), kinds=IMAGE_KINDS, help_text=_("JPEG or PNG, shown under the text.")
    )
    remove_files = forms.TypedMultipleChoiceField(
        label=_("Remove"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    DRAFT_FIELDS = (
        "title",
        "category",
        "content",
        "effective_from",
        "effective_to",
        "channels",
        "must_read",
        "pinned",
        "resend_on_publish",
    )

    def __init__(self, data=None, files=None, *, user, notice=None, files_of=(), **kwargs):
        if data is not None and "content" in data:
            # Shown again after an error as it would be stored: the typed text, sanitised.
            data = data.copy()
            data["content"] = clean_rich(data.get("content"))
        super().__init__(data, files, user=user, **kwargs)
        self.notice = notice
        self.fields["remove_files"].choices = [(f.pk, f.original_name) for f in files_of]
        if notice is None or not notice.was_published:
            del self.fields["resend_on_publish"]
        if not self.is_bound and notice is None:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("effective_from", now)
        self.style_fields()

    @classmethod
    def initial_for(cls, notice):
        initial = {name: getattr(notice, name) for name in cls.DRAFT_FIELDS}
        initial["audience_kind"] = notice.audience_kind
        for name in ("estates", "buildings", "units", "residents"):
            initial[name] = list(getattr(notice, name).values_list("pk", flat=True))
        for name in ("effective_from", "effective_to"):
            if initial[name] is not None:
                initial[name] = timezone.localtime(initial[name])
        return initial

    def service_kwargs(self):
        data = self.cleaned_data
        values = {name: data[name] for name in self.DRAFT_FIELDS if name in self.fields}
        values.update(self.audience_kwargs())
        return values

    def uploads(self):
        """(purpose, file) of the files to attach."""
        data = self.cleaned_data
        return [(AttachmentPurpose.ATTACHMENT, f) for f in data.get("attachments") or ()] + [
            (AttachmentPurpose.POSTER, f) for f in data.get("posters") or ()
        ]


class StartFromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Start from a template"),
        queryset=NoticeTemplate.objects.all(),
        empty_label=_("— choose a template —"),
        widget=forms.Select(attrs={"class": "form-select js-autosubmit"}),
    )


class WithdrawForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept on the timeline. Residents no longer see the announcement."),
    )


class HideCommentForm(StyledForm):
    reason = forms.CharField(label=_("Reason for hiding"), max_length=500)


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=_("Reply"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoticeTemplateForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ChoiceField(
        label=pgettext_lazy("announcement", "Category"), choices=NoticeCategory.choices
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    content = forms.CharField(
        label=_("Content"),
        widget=forms.Textarea(attrs={"rows": 10, "class": "notice-content-source"}),
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "content" in data:
            data = data.copy()
            data["content"] = clean_rich(data.get("content"))
        super().__init__(data, *args, **kwargs)

    @staticmethod
    def variables():
        return [(f"{{{name}}}", label) for name, label in TEMPLATE_VARIABLES.items()]
