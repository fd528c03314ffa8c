"""The statistics' period: the range picker of the page, and the same query parameters of the
API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core.forms import DateInput, StyledForm

from . import selectors as statistics

LAST_30, YEAR, CUSTOM = "last30", "year", "custom"
MAX_DAYS = 3 * 366  # a custom range of at most three years


class RangeForm(StyledForm):
    """Which orders (by the day they were reported) and how the trend is stepped."""

    range = forms.ChoiceField(
        label=gettext_lazy("Range"),
        choices=[
            (LAST_30, gettext_lazy("Last 30 days")),
            (YEAR, gettext_lazy("This year")),
            (CUSTOM, gettext_lazy("Custom")),
        ],
        initial=LAST_30,
        required=False,
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    granularity = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[
            ("", gettext_lazy("Automatic")),
            (statistics.DAY, gettext_lazy("Day")),
            (statistics.WEEK, gettext_lazy("Week")),
            (statistics.MONTH, gettext_lazy("Month")),
        ],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("range") == CUSTOM:
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise ValidationError(_("Choose both dates of a custom range."), code="dates")
            if end < start:
                raise ValidationError(_("The end date is before the start date."), code="order")
            if (end - start).days > MAX_DAYS:
                raise ValidationError(_("Choose a range of at most three years."), code="long")
        return data

    def period(self, today=None):
        """The chosen period; the default (last 30 days) when the form is unbound or invalid."""
        today = today or timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        choice = data.get("range") or LAST_30
        if choice == YEAR:
            period = statistics.this_year(today)
        elif choice == CUSTOM:
            start, end = data["start"], data["end"]
            days = (end - start).days
            step = (
                statistics.DAY
                if days <= 62
                else statistics.WEEK
                if days <= 200
                else statistics.MONTH
            )
            period = statistics.Period(start, end, step)
        else:
            period = statistics.last_days(30, today)
        if data.get("granularity"):
            period.granularity = data["granularity"]
        return period


def parse_period(params, today=None):
    """A period from query parameters (page and API): ``range``, ``start``, ``end``,
    ``granularity``; raises ValidationError for a bad custom range."""
    form = RangeForm(params or None)
    if form.is_bound and not form.is_valid():
        raise ValidationError(form.errors.get("__all__") or form.errors.as_text())
    return form.period(today)
