"""Portal forms: phone-first sign-in, activation, contact details, password."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courtyard.accounts.forms import (
    CODE_WIDGET_ATTRS,
    LoginForm,
    NewPasswordMixin,
    new_password_fields,
)
from courtyard.accounts.forms import PasswordChangeForm as AccountPasswordChangeForm
from courtyard.core.forms import StyledForm, StyledFormMixin

PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "tel", "maxlength": 20}


def phone_field(**attrs):
    return forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={**PHONE_ATTRS, **attrs}),
    )


def code_field(label=None):
    attrs = {**CODE_WIDGET_ATTRS}
    attrs.pop("autofocus")
    return forms.CharField(
        label=label or _("Code"), max_length=8, widget=forms.TextInput(attrs=attrs)
    )


class PortalLoginForm(LoginForm):
    """Phone and password; the field stays ``username`` so that lockout counts it."""

    error_messages = {
        "invalid_login": _("Wrong mobile number or password."),
        "inactive": _("Wrong mobile number or password."),
    }

    username = forms.CharField(
        label=_("Mobile phone"),
        max_length=150,
        widget=forms.TextInput(attrs={**PHONE_ATTRS, "autocomplete": "username"}),
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_resident:
            raise ValidationError(
                _("This is a staff account: use the staff sign-in page."), code="staff_account"
            )


class PhoneForm(StyledForm):
    phone = phone_field(autofocus=True)


class CodeForm(StyledForm):
    code = code_field()


class ActivationForm(StyledFormMixin, NewPasswordMixin, forms.Form):
    phone = phone_field()
    code = code_field(_("Activation code"))
    new_password1, new_password2 = new_password_fields()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class ContactForm(StyledForm):
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    emergency_contact = forms.CharField(
        label=_("Emergency contact"), max_length=100, required=False
    )
    emergency_phone = forms.CharField(
        label=_("Emergency phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class SetPasswordForm(StyledFormMixin, NewPasswordMixin, forms.Form):
    """For a resident who has only ever signed in with SMS codes: no current password."""

    new_password1, new_password2 = new_password_fields()

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.style_fields()


def password_form(user, data=None):
    if user.has_usable_password():
        return AccountPasswordChangeForm(user, data)
    return SetPasswordForm(user, data)
