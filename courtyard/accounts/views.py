"""Sign-in (with lockout and a second step for the one-time code), sign-out, password, profile,
forgotten-password and second-factor pages."""

import time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.models import Device

from courtyard.core import parameters
from courtyard.core.access import PUBLIC, STAFF, access
from courtyard.core.generic import apply_service_errors
from courtyard.core.ratelimit import RateLimited

from . import forms, security, services, throttling
from .models import MessageDevice, SecurityEvent, User

# The signed-in-but-not-yet-verified state between the password and the one-time code.
PENDING_SIGN_IN = "accounts_pending_sign_in"
RESET_USERNAME = "accounts_password_reset_username"


def safe_next(request, default="/"):
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def form_status(form):
    """200, or 400 for a form with errors: 429 when a rate limit refused it, 403 when the
    lockout did."""
    for errors in form.errors.as_data().values():
        for error in errors:
            if isinstance(error, RateLimited):
                return error.status
    return 400 if form.errors else 200


# -- sign-in -------------------------------------------------------------------------------


@access(PUBLIC)
def login_view(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    if request.method == "GET" and safe_next(request, "").startswith("/portal/"):
        # A resident whose session ended on a portal page signs in on the portal's own page.
        return redirect(f"{reverse('portal:login')}?{request.GET.urlencode()}")
    form = forms.LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if services.confirmed_devices(user):
            request.session[PENDING_SIGN_IN] = {
                "user": user.pk,
                "backend": user.backend,
                "next": safe_next(request),
                "since": int(time.time()),
            }
            return redirect("accounts:login_code")
        login(request, user)
        if user.is_resident:  # residents live in the portal, whatever page they came from
            return redirect("portal:home")
        return redirect(safe_next(request))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": safe_next(request, "")},
        status=form_status(form),
    )


def pending_sign_in(request):
    """The user who gave the right password and still owes a code, while the step is fresh."""
    pending = request.session.get(PENDING_SIGN_IN)
    if not pending:
        return None, None
    max_age = parameters.get("security.code_ttl_minutes") * 60
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or time.time() - pending["since"] > max_age:
        del request.session[PENDING_SIGN_IN]
        return None, None
    return pending, user


@access(PUBLIC)
def login_code(request):
    """The second sign-in step: a code from the authenticator app, or sent by SMS / email."""
    pending, user = pending_sign_in(request)
    if user is None:
        messages.info(request, _("Sign in with your username and password first."))
        return redirect("accounts:login")
    devices = services.confirmed_devices(user)
    message_devices = [d for d in devices if isinstance(d, MessageDevice)]
    form = forms.OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and "send" in request.POST:
        try:
            services.send_second_factor_codes(request, user, message_devices)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.info(request, _("A new code has been sent."))
        return redirect("accounts:login_code")
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(request, user, form.cleaned_data["token"])
        except ValidationError as error:  # the name is now locked, or the address limited
            del request.session[PENDING_SIGN_IN]
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:login")
        if device is not None:
            del request.session[PENDING_SIGN_IN]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(pending["next"])
        form.add_error("token", _("The code is not correct."))
    elif request.method == "GET" and message_devices and not pending.get("sent"):
        # A user without an authenticator app needs the code sent before they can type it.
        pending["sent"] = True
        request.session[PENDING_SIGN_IN] = pending
        try:
            services.send_second_factor_codes(request, user, message_devices)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return render(
        request,
        "accounts/login_code.html",
        {
            "form": form,
            "message_devices": message_devices,
            "has_app": len(message_devices) < len(devices),
        },
        status=form_status(form),
    )


def lockout_response(request, original_response=None, credentials=None):
    """What axes answers for a locked username: the sign-in page with the minutes left.

    Computed from the attempts of the typed username alone, so an unknown username reads the
    same as a real one.
    """
    username = (credentials or {}).get("username", "")
    minutes = security.lockout_minutes_left(username) or 30
    detail = throttling.lockout_message(minutes)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "code": "account_locked"}, status=403)
    form = forms.LoginForm(request, None, initial={"username": username})
    return render(
        request,
        "portal/login.html" if request.path.startswith("/portal/") else "accounts/login.html",
        {"form": form, "locked": True, "lockout_minutes": minutes, "next": safe_next(request, "")},
        status=403,
    )


@require_POST
@access(PUBLIC)
def logout_view(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


# -- password and profile -------------------------------------------------------------------


@access(STAFF)
def password_change(request):
    form = forms.PasswordChangeForm(request.user, request.POST or None)
    forced = request.user.must_change_password
    if request.method == "POST" and form.is_valid():
        try:
            revoked = services.set_password(
                request.user, request.user, form.cleaned_data["new_password1"], must_change=False
            )
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, services.password_changed_message(revoked))
            return redirect("core:home")
    context = {
        "form": form,
        # The forced change at first sign-in stands alone; otherwise it is an account page.
        "base_template": "base_simple.html" if forced else "base.html",
        "cancel_url": None if forced else reverse("accounts:profile"),
    }
    return render(request, "accounts/password_change.html", context, status=form_status(form))


@access(STAFF)
def profile(request):
    user = request.user
    initial = {name: getattr(user, name) for name in services.PROFILE_FIELDS}
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user, user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your account settings have been saved."))
            return redirect("accounts:profile")
    context = {
        "form": form,
        "devices": services.confirmed_devices(user),
        "events": SecurityEvent.objects.filter(user=user)[:10],
    }
    return render(request, "accounts/profile.html", context, status=form_status(form))


# -- forgotten password ----------------------------------------------------------------------


@access(PUBLIC)
def password_reset_request(request):
    form = forms.PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        try:
            services.request_password_reset(request, username)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            request.session[RESET_USERNAME] = username
            messages.info(
                request,
                _(
                    "If the account exists and has a bound phone or email, a code has been "
                    "sent to it. Enter the code and your new password below."
                ),
            )
            return redirect("accounts:password_reset_confirm")
    return render(
        request, "accounts/password_reset_request.html", {"form": form}, status=form_status(form)
    )


@access(PUBLIC)
def password_reset_confirm(request):
    username = request.session.get(RESET_USERNAME)
    if not username:
        return redirect("accounts:password_reset")
    form = forms.PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password_with_code(
                request, username, form.cleaned_data["code"], form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            del request.session[RESET_USERNAME]
            messages.success(
                request,
                _(
                    "Your password has been reset: every earlier session and API token is "
                    "signed out. Sign in with the new password now."
                ),
            )
            return redirect("accounts:login")
    return render(
        request,
        "accounts/password_reset_confirm.html",
        {"form": form, "username": username},
        status=form_status(form),
    )


# -- second factor ---------------------------------------------------------------------------


def own_device(request):
    device = Device.from_persistent_id(request.POST.get("device", ""))
    if device is None or device.user_id != request.user.pk:
        raise Http404
    return device


@access(STAFF)
def two_factor(request):
    """The user's second-factor devices: list, set up, remove; and verifying this session
    when the policy asks for a code and the user already has a device."""
    user = request.user
    devices = services.confirmed_devices(user)
    verify_form = forms.OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and verify_form.is_valid():
        try:
            device = services.verify_second_factor(request, user, verify_form.cleaned_data["token"])
        except ValidationError as error:
            apply_service_errors(verify_form, error)
        else:
            if device is not None:
                otp_login(request, device)
                return redirect("core:home")
            verify_form.add_error("token", _("The code is not correct."))
    context = {
        "devices": devices,
        "required": services.requires_second_factor(user),
        "verified": user.is_verified(),
        "verify_form": verify_form,
        "message_form": forms.MessageDeviceForm(
            initial={"channel": "sms" if user.phone else "email"}
        ),
    }
    return render(request, "accounts/two_factor.html", context, status=form_status(verify_form))


@access(STAFF)
def two_factor_totp(request):
    """Set up an authenticator app: scan the QR code, confirm with the first code."""
    user = request.user
    device = services.pending_totp_device(user)
    if request.method == "GET" and (device is None or "restart" in request.GET):
        device = services.start_totp_setup(user)
    form = forms.OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.confirm_device(request, user, device, form.cleaned_data["token"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            otp_login(request, device)
            messages.success(request, _("The authenticator app is set up."))
            return redirect("accounts:two_factor")
    if device is None:
        return redirect("accounts:two_factor_totp")
    context = {
        "form": form,
        "device": device,
        "qr": services.totp_qr_data_uri(device),
        "secret": services.totp_secret(device),
    }
    return render(request, "accounts/two_factor_totp.html", context, status=form_status(form))


@access(STAFF)
def two_factor_message(request):
    """Set up codes by SMS or email: choose the channel, a code is sent, confirm with it."""
    user = request.user
    if request.method == "POST" and "channel" in request.POST:
        channel_form = forms.MessageDeviceForm(request.POST)
        if channel_form.is_valid():
            try:
                services.start_message_device(
                    user, channel_form.cleaned_data["channel"], request=request
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect("accounts:two_factor")
            return redirect("accounts:two_factor_message")
        return redirect("accounts:two_factor")
    device = services.pending_message_device(user)
    if device is None:
        return redirect("accounts:two_factor")
    form = forms.OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.confirm_device(request, user, device, form.cleaned_data["token"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            otp_login(request, device)
            messages.success(request, _("Sign-in codes by SMS or email are set up."))
            return redirect("accounts:two_factor")
    recipient = user.phone if device.channel == "sms" else user.email
    return render(
        request,
        "accounts/two_factor_message.html",
        {"form": form, "device": device, "recipient": recipient},
        status=form_status(form),
    )


@require_POST
@access(STAFF)
def two_factor_remove(request):
    services.remove_device(request.user, own_device(request))
    messages.success(request, _("The second-factor device has been removed."))
    return redirect("accounts:two_factor")
