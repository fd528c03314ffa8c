"""The reminder form: how to remind (SMS, voice or a staff call) and, for a call, how it went."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import StyledForm

from ..choices import CallOutcome, ReminderChannel
from ..models import Reminder


class RemindForm(StyledForm):
    channel = forms.ChoiceField(
        label=_("How"),
        choices=ReminderChannel.choices,
        initial=ReminderChannel.SMS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    outcome = forms.ChoiceField(
        label=_("Call outcome"),
        choices=[("", "---------"), *CallOutcome.choices],
        required=False,
        help_text=_("For a phone call: how it went."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=Reminder._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
