"""Form base classes: Tabler styling and foreign-key choices limited to the user's scope."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .references import referable


class QuickSelect(forms.Select):
    """A ``<select>`` written out here rather than through Django's widget templates.

    The same markup as ``forms.Select``, but the template renderer includes one template
    per option (~0.1 ms each): a filter listing 200 buildings took ~25 ms of a list page.
    Options are plain (no ``create_option`` of a subclass, no per-option attributes).
    """

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        values = self.format_value(value)
        parts = [format_html('<select name="{}"{}>', name, flatatt(attrs))]
        has_selected = False  # as Select.optgroups: only the first match is selected
        for group_value, group_label in self.choices:
            group = isinstance(group_label, (list, tuple))
            if group:
                parts.append(format_html('<optgroup label="{}">', group_value))
            for option_value, label in group_label if group else [(group_value, group_label)]:
                option_value = "" if option_value is None else option_value
                chosen = (not has_selected or self.allow_multiple_selected) and (
                    str(option_value) in values
                )
                has_selected |= chosen
                parts.append(
                    f'<option value="{escape(option_value)}"{" selected" if chosen else ""}>'
                    f"{conditional_escape(label)}</option>"
                )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))


class DateInput(forms.DateInput):
    """A date typed as 2026-03-05, the way every page shows dates, with that format as its
    hint in the user's language.

    Not ``type="date"``: Chromium draws such an input in the browser's own locale, whatever
    the page's or the input's ``lang`` (mm/dd/yyyy on a Chinese page in an English browser).
    """

    input_type = "text"

    def __init__(self, attrs=None):
        hint = {"placeholder": _("yyyy-mm-dd"), "autocomplete": "off", "size": 10}
        super().__init__({**hint, **(attrs or {})}, format="%Y-%m-%d")


class StyledFormMixin:
    """Give every widget its Tabler class, and mark fields with errors as invalid."""

    def style_fields(self):
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = ""
            else:
                css = "form-control"
            # Only errors already found: calling self.errors here would validate the form
            # before a subclass has finished setting up its fields.
            if self._errors and name in self._errors:
                css += " is-invalid"
            classes = widget.attrs.get("class", "").split()
            classes += [c for c in css.split() if c not in classes]
            widget.attrs["class"] = " ".join(classes)

    def full_clean(self):
        super().full_clean()
        self.style_fields()

    def add_error(self, field, error):
        # Services report errors after validation (a duplicate room number): mark them too.
        super().add_error(field, error)
        self.style_fields()


class StyledForm(StyledFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class ScopedModelForm(StyledFormMixin, forms.ModelForm):
    """A model form whose foreign-key choices are the rows the user may name: their data
    scope (core.references), so an id outside it is "Select a valid choice" like a missing one.

    Forms collect and shape input only; the module's service function does the write.
    """

    def __init__(self, data=None, files=None, *, user, **kwargs):
        super().__init__(data, files, **kwargs)
        self.user = user
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None:
                field.queryset = referable(user, queryset)
        self.style_fields()

    def service_kwargs(self):
        """What the edit view passes to the service; forms with helper-only fields drop them."""
        return dict(self.cleaned_data)

    def _post_clean(self):
        # Validation of the model (uniqueness and the like) belongs to the service, which
        # reports it as a form error; the form must not save or half-validate the instance.
        pass
