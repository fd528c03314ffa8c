"""Forms of the approval pages: deciding a request, and the levels of a flow."""

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..forms import StyledForm


class ApproveForm(StyledForm):
    """Approve at the level the approver saw (a second click finds it decided: 409)."""

    level = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=pgettext_lazy("approval", "Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(StyledForm):
    level = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The submitter sees this reason."),
    )


class LevelForm(StyledForm):
    """One row of the flow editor: its number, the deciding role and an optional name."""

    order = forms.IntegerField(
        label=_("Level"),
        min_value=1,
        max_value=99,
        required=False,
        widget=forms.NumberInput(attrs={"aria-label": _("Level")}),
    )
    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Group.objects.order_by("name"),
        empty_label=_("Choose a role"),
        widget=forms.Select(attrs={"aria-label": _("Role")}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": _("Name (optional)")}),
    )


class BaseLevelFormSet(forms.BaseFormSet):
    def levels(self):
        """(role, name) pairs in level order, leaving out blank and removed rows."""
        rows = []
        for index, form in enumerate(self.forms):
            data = form.cleaned_data
            if data and data.get("role") and not data.get("DELETE"):
                # A row without a number goes last, in the order shown.
                rows.append((data.get("order") or 100 + index, index, data))
        rows.sort(key=lambda row: row[:2])
        return [(data["role"], data.get("name", "")) for _order, _index, data in rows]


LevelFormSet = forms.formset_factory(
    LevelForm, formset=BaseLevelFormSet, extra=1, can_delete=True, max_num=20
)


class EstateFlowForm(StyledForm):
    """Give one estate its own flow (it follows the default until then)."""

    estate = forms.ModelChoiceField(
        label=_("Estate"), queryset=None, empty_label=_("Choose an estate")
    )

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
