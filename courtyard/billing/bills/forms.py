"""Forms of the bill pages: a temporary bill (新增临时账单) and the reason for a void. They
collect input; the services validate amounts, places and states and write."""

from django import forms
from django.db.models import Case, When
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import StyledForm
from courtyard.core.references import referable
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.forms import DATE, UnitPickerMixin
from courtyard.residents.models import Resident

from ..choices import ItemKind
from ..models import Bill, ChargeItem


class TemporaryBillForm(UnitPickerMixin, StyledForm):
    """The unit (estate → building → entrance → room) and who pays, or a resident alone;
    the item (deposit, penalty, repair …), amount, due date and note; publish now or not."""

    item = forms.ModelChoiceField(ChargeItem.objects.none(), label=_("Charge item"))
    amount = forms.CharField(
        label=_("Amount (CNY)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=DATE,
        help_text=_("Empty: the item's usual days from today."),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    publish = forms.BooleanField(label=_("Publish now (the payer is told at once)"), required=False)

    def __init__(self, data=None, *, user, initial=None):
        super().__init__(data, initial=initial or {})
        self.setup_picker(user)
        self.fields["estate"].required = False
        items = ChargeItem.objects.filter(is_active=True)
        # One-off items first: deposits, penalties and repair charges are what is raised here.
        one_off = Case(When(kind=ItemKind.ONE_OFF, then=0), default=1)
        self.fields["item"].queryset = items.order_by(one_off, "sort_order", "code")
        residents = referable(user, Resident)
        self.fields["payer"] = forms.ModelChoiceField(residents, label=_("Payer"), required=False)
        unit, payer = self.picked["unit"], self._picked("payer", residents)
        offered = []
        if unit is not None:
            offered = list(
                residents.filter(
                    occupancies__unit=unit, occupancies__status=OccupancyStatus.CURRENT
                ).distinct()
            )
        if payer is not None and payer not in offered:
            offered.append(payer)
        self.fields["payer"].choices = [("", _("The unit's owner"))] + [
            (person.pk, person.name) for person in offered
        ]
        self.fields["unit"].required = payer is None
        if payer is not None and unit is None:
            self.fields["unit"].help_text = _(
                "Optional: without a unit the bill is %(name)s's own."
            ) % {"name": payer.name}
        self.picked["payer"] = payer
        self.initial["payer"] = payer.pk if payer else None
        self.order_fields(
            ["estate", "building", "entrance", "unit", "payer", "item", "amount", "due_date"]
        )
        self.style_fields()

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "item": data["item"],
            "amount": data["amount"],
            "unit": data.get("unit"),
            "payer": data.get("payer"),
            "note": data.get("note", ""),
            "due_date": data.get("due_date"),
            "publish": data.get("publish", False),
        }


class VoidForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=Bill._meta.get_field("void_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the bill; the amount itself is never changed."),
    )
