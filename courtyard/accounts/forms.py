"""Account forms: they collect input; the rules live in services and passwords."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import StyledForm, StyledFormMixin

from . import passwords, services, throttling

CODE_WIDGET_ATTRS = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "pattern": "[0-9]*",
    "maxlength": 8,
    "autofocus": True,
}


class LoginForm(auth_forms.AuthenticationForm):
    # One message for a wrong password, an unknown user and a deactivated account alike.
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("Wrong username or password."),
    }

    username = auth_forms.UsernameField(
        label=_("Username"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        # An address with too many failures is refused before the password is even tried.
        if self.cleaned_data.get("username"):
            throttling.check_address(self.request, self.cleaned_data["username"])
        return super().clean()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        refusal = services.sign_in_refusal(user)
        if refusal:
            raise ValidationError(refusal, code="maintenance")


class OneTimeCodeForm(StyledForm):
    """The second sign-in step, and the first code of a new device."""

    token = forms.CharField(
        label=_("Code"), max_length=8, widget=forms.TextInput(attrs=CODE_WIDGET_ATTRS)
    )


class NewPasswordMixin:
    """Two new-password fields: the first must meet the policy, the second repeat it."""

    def clean_new_password1(self):
        password = self.cleaned_data["new_password1"]
        password_validation.validate_password(password, getattr(self, "user", None))
        return password

    def clean_new_password2(self):
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data["new_password2"]
        if first and first != second:
            raise ValidationError(_("The two passwords do not match."), code="password_mismatch")
        return second


def new_password_fields():
    return (
        forms.CharField(
            label=_("New password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=passwords.POLICY_HELP,
        ),
        forms.CharField(
            label=_("Repeat the new password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )


class PasswordChangeForm(StyledFormMixin, NewPasswordMixin, forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1, new_password2 = new_password_fields()

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise ValidationError(
                _("The current password is not correct."), code="password_incorrect"
            )
        return old

    def clean_new_password1(self):
        password = super().clean_new_password1()
        passwords.check_differs_from_current(self.user, password)
        return password


class ProfileForm(StyledForm):
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    position = forms.CharField(label=_("Position"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Used for password reset and sign-in codes."),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordResetRequestForm(StyledForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class PasswordResetForm(StyledFormMixin, NewPasswordMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=8, widget=forms.TextInput(attrs=CODE_WIDGET_ATTRS)
    )
    new_password1, new_password2 = new_password_fields()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class MessageDeviceForm(StyledForm):
    channel = forms.ChoiceField(
        label=_("Send the codes by"),
        choices=[("sms", _("SMS to my mobile phone")), ("email", _("Email"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
