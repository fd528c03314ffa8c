"""Portal announcement forms: a comment, and the must-read confirmation."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.forms import StyledForm
from courtyard.notices.choices import COMMENT_MAX_LENGTH


class CommentForm(StyledForm):
    """A reader's comment: plain text (the service sanitises it and checks its length)."""

    body = forms.CharField(
        label=pgettext_lazy("announcement", "Comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a comment…")}),
    )


class ConfirmForm(forms.Form):
    """The tick under a must-read announcement."""

    understood = forms.BooleanField(
        label=_("I have read and understood this announcement"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
