"""Forms of the system pages: they collect input; the services validate and save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core import message_templates, parameters
from courtyard.core.forms import StyledForm


def field_name(key):
    """Parameter keys contain dots; form field names (and HTML ids) should not."""
    return key.replace(".", "__")


def _input_for(param):
    if param.kind == parameters.BOOL:
        return forms.BooleanField(required=False)
    attrs = {}
    if param.minimum is not None:
        attrs["min"] = param.minimum
    if param.maximum is not None:
        attrs["max"] = param.maximum
    widgets = {
        parameters.INT: forms.NumberInput(attrs={**attrs, "step": 1}),
        parameters.DECIMAL: forms.NumberInput(attrs={**attrs, "step": "any"}),
        parameters.DATETIME: forms.DateTimeInput(attrs={"type": "datetime-local"}),
    }
    # Kept as text: the typed validation (and its messages) is the parameter's own.
    return forms.CharField(required=False, widget=widgets.get(param.kind, forms.TextInput))


class ParametersForm(StyledForm):
    """Every registered parameter as a typed input, grouped as registered."""

    def __init__(self, *args, **kwargs):
        self.params = parameters.registered()
        initial = {}
        for param in self.params:
            value = parameters.get(param.key)
            if param.kind == parameters.DATETIME and value:
                value = str(value).replace(" ", "T")[:16]
            initial[field_name(param.key)] = value
        super().__init__(*args, initial=initial, **kwargs)
        for param in self.params:
            field = _input_for(param)
            field.label = param.label
            field.help_text = param.help_text
            self.fields[field_name(param.key)] = field
        self.style_fields()

    def raw_values(self):
        """Submitted values by parameter key, as typed."""
        return {
            p.key: self.cleaned_data.get(field_name(p.key))
            if p.kind == parameters.BOOL
            else self.data.get(field_name(p.key), "")
            for p in self.params
        }

    def groups(self):
        """[(group label, [bound fields])] in registration order."""
        result = {}
        for param in self.params:
            result.setdefault(str(param.group), []).append(self[field_name(param.key)])
        return list(result.items())


class MaintenanceForm(StyledForm):
    until = forms.DateTimeField(
        label=_("Expected end"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("Shown on the sign-in page; leave empty when unknown."),
    )
    message = forms.CharField(
        label=_("Message to users"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: what is being upgraded and whom to call meanwhile."),
    )

    def __init__(self, *args, state=None, **kwargs):
        if state is not None and state.is_on:
            kwargs.setdefault(
                "initial",
                {
                    "until": timezone.localtime(state.until) if state.until else None,
                    "message": state.message,
                },
            )
        super().__init__(*args, **kwargs)


class MessageTemplateForm(StyledForm):
    """One registered message's subject and text; the service checks the variables.

    Every template on the page has its own form, told apart by a prefix made from its key.
    """

    subject = forms.CharField(
        label=_("Subject"),
        required=False,
        help_text=_("Used by e-mail; text messages and app notices send the text only."),
    )
    body = forms.CharField(
        label=_("Text"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, template, data=None):
        self.template = template
        subject, body, self.customised = message_templates.current(template.key)
        super().__init__(
            data, prefix=field_name(template.key), initial={"subject": subject, "body": body}
        )
        for name in ("subject", "body"):
            self.fields[name].widget.attrs["data-variable-target"] = "true"

    @property
    def variables(self):
        """(name, label, "{name}") of the variables the text may use."""
        return [(n, label, "{" + n + "}") for n, label in self.template.variables.items()]

    def texts(self):
        """(subject, body) as typed (bound) or as stored."""
        if self.is_bound:
            return self.data.get(self.add_prefix("subject"), ""), self.data.get(
                self.add_prefix("body"), ""
            )
        return self.initial["subject"], self.initial["body"]

    def preview(self):
        """(subject, body, errors) rendered with the sample values; errors by field when the
        texts would not be saved."""
        subject, body = self.texts()
        try:
            self.template.check(subject.strip(), body.strip())
        except ValidationError as exc:
            return "", "", exc.message_dict
        return (*self.template.preview(subject.strip(), body.strip()), {})
