"""Forms of the cashier, the void and the deposit refund: they shape input, the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import StyledForm

from ..choices import PaymentMethod

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CashierForm(StyledForm):
    """How the money came (the bills and their amounts are read from the bill rows)."""

    method = forms.ChoiceField(
        label=_("Method"), choices=PaymentMethod.choices, widget=forms.RadioSelect
    )
    paid_at = forms.DateTimeField(
        label=_("Paid at"), required=False, widget=DATETIME, help_text=_("Empty: now.")
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Transaction or slip number."),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    evidence = forms.FileField(
        label=_("Evidence (bank slip photo)"),
        required=False,
        help_text=_("JPEG, PNG or PDF."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )
    payer = forms.TypedChoiceField(label=_("Paid by"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, payers=(), **kwargs):
        kwargs.setdefault(
            "initial", {"paid_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)
        self.payers = {person.pk: person for person in payers}
        self.fields["payer"].choices = [("", _("— not named —"))] + [
            (person.pk, f"{person.name} {person.masked_phone}".strip()) for person in payers
        ]

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "method": data["method"],
            "paid_at": data["paid_at"],
            "reference": data["reference"],
            "note": data["note"],
            "evidence": data["evidence"] or None,
            "payer": self.payers.get(data["payer"]),
        }


class VoidForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the payment is voided; the bills will owe the money again."),
    )


class RefundForm(StyledForm):
    # Text, not a number field: the service reads the amount and explains what is wrong.
    amount = forms.CharField(label=_("Amount"), max_length=20)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=255, widget=forms.Textarea(attrs={"rows": 2})
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
