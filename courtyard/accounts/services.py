"""Account actions: security events, tokens, second factor, passwords.

Every function takes the acting user (or the request, for sign-in events) first and does
its writes in one transaction.
"""

import re
import secrets
from base64 import b32encode
from datetime import timedelta

import segno
from axes.utils import reset as reset_axes_attempts
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from courtyard.core import parameters
from courtyard.core.messaging import queue_message
from courtyard.core.versions import save_as_stored

from . import passwords, throttling
from .choices import CodePurpose, SecurityEventKind, UserKind
from .models import ApiToken, MessageDevice, OneTimeCode, User
from .security import record_security_event

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
PROFILE_FIELDS = ("full_name", "position", "phone", "email")
CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5
# A new reset code is not sent sooner than this after the last one (no SMS bombing).
CODE_RESEND_INTERVAL = timedelta(seconds=60)


# Modules above accounts (maintenance mode in ``system``) register the reasons they may refuse
# a sign-in; accounts asks them without importing them.
_sign_in_checks = []


def register_sign_in_check(check):
    """``check(user)`` returns a message when ``user`` may not sign in now, else None."""
    if check not in _sign_in_checks:
        _sign_in_checks.append(check)
    return check


def sign_in_refusal(user):
    for check in _sign_in_checks:
        refusal = check(user)
        if refusal:
            return refusal
    return None


def needs_second_factor(user):
    """A user with a confirmed device always uses it; the policy can require one for all."""
    if any(devices_for_user(user, confirmed=True)):
        return True
    return requires_second_factor(user)


def requires_second_factor(user):
    if user.is_resident:
        return False
    return user.require_two_factor or parameters.get("security.require_two_factor")


def verify_second_factor(request, user, token):
    """The user's device that ``token`` is a valid code of, else None.

    A wrong code is a failed sign-in (``throttling.code_failed``); raises RateLimited while
    the user's name is locked or the address has failed too often.
    """
    token = (token or "").strip()
    if not token:
        return None
    throttling.check_attempt(request, user.username)
    device = match_token(user, token)
    if device is None:
        throttling.code_failed(request, user.username, user=user, kind=SecurityEventKind.OTP_FAILED)
    return device


def send_second_factor_codes(request, user, devices):
    """Send a fresh code to each SMS / email device, within the one-time code limits."""
    throttling.count_code_request(request, user.username)
    for device in devices:
        device.generate_challenge()


def issue_api_token(request, user):
    with transaction.atomic():
        token, raw = ApiToken.issue(user)
        record_security_event(SecurityEventKind.API_LOGIN, request=request, user=user)
    throttling.remember_sign_in(request, user)
    return token, raw


def revoke_api_token(token):
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def revoke_api_tokens(user):
    """Revoke every live API token of ``user``; returns how many there were."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def end_sessions(user):
    """Sign ``user`` out everywhere: every API token is revoked and every browser session ends.

    Django ties a session to ``user.get_session_auth_hash()``; a new session stamp changes it,
    so each session's next request finds it stale and signs out. A caller that must keep its
    own session calls ``update_session_auth_hash`` afterwards. Returns the tokens revoked.
    """
    user.session_stamp = secrets.token_hex(8)
    save_as_stored(user, ["session_stamp"])
    return revoke_api_tokens(user)


def set_password(actor, user, raw_password, *, must_change):
    """Store a new password; by an administrator (must_change) or by the user themselves.

    The policy applies either way; a user choosing their own password must also pick a new one.
    """
    password_validation.validate_password(raw_password, user)
    if actor == user:
        passwords.check_differs_from_current(user, raw_password)
    with transaction.atomic():
        revoked = store_password(user, raw_password, must_change=must_change)
        kind = (
            SecurityEventKind.PASSWORD_SET_BY_ADMIN
            if actor != user
            else SecurityEventKind.PASSWORD_CHANGED
        )
        record_security_event(kind, user=user, actor=actor, detail=_revoked_detail(revoked))
    return revoked


def store_password(user, raw_password, *, must_change):
    """Save a new password and end what the old one opened; returns the tokens revoked.

    Every way a password changes (own change, administrator's reset, forgotten-password code,
    portal activation) goes through here: whoever held the old password, or a token or
    session obtained with it, is out. Call inside the caller's transaction.
    """
    user.set_password(raw_password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    save_as_stored(user, ["password", "must_change_password", "password_changed_at"])
    return end_sessions(user)


def password_changed_message(revoked):
    """What the user is told after changing their own password."""
    return _(
        "Your password has been changed. You are signed out of every other browser and "
        "%(count)d API token(s) were revoked."
    ) % {"count": revoked}


def _revoked_detail(revoked):
    return _("Other sessions signed out; %(count)d API token(s) revoked.") % {"count": revoked}


# -- lockout -----------------------------------------------------------------------------


# -- profile -----------------------------------------------------------------------------


def update_profile(actor, user, **fields):
    """Change one's own name, position, phone and email.

    Someone else's account is changed through ``admin_services.update_user``, which checks
    that the actor may administer that user.
    """
    if actor.pk != user.pk:
        raise PermissionDenied
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"update_profile() got unexpected fields: {sorted(unknown)}")
    values = {name: str(value or "").strip() for name, value in fields.items()}
    errors = {}
    if "full_name" in values and not values["full_name"]:
        errors["full_name"] = _("Enter the full name.")
    if values.get("phone") and not PHONE_PATTERN.match(values["phone"]):
        errors["phone"] = _("Enter an 11-digit mainland mobile number, such as 13812345678.")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for name, value in values.items():
            setattr(user, name, value)
        user.save(update_fields=list(values))
    return user


# -- forgotten password --------------------------------------------------------------------


def account_for_sign_in_name(name):
    """The active account a sign-in name refers to: a username, or a resident's phone."""
    name = (name or "").strip()
    if not name:
        return None
    return (
        User.objects.filter(is_active=True)
        .filter(Q(username=name) | Q(kind=UserKind.RESIDENT, phone=name))
        .first()
    )


def _code_hash(user, code):
    return salted_hmac(
        "courtyard.accounts.one_time_code", f"{user.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def issue_one_time_code(user, purpose, channel, ttl):
    """A fresh code for ``user`` (stored hashed, replacing the unused ones), or None when the
    last one was sent less than a minute ago. Call inside a transaction; send what it returns."""
    # Two requests at once each saw no recent code and both sent one: the account's row lock
    # makes the second wait for the first and then find its code.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    now = timezone.now()
    codes = OneTimeCode.objects.filter(user=user, purpose=purpose)
    if codes.filter(created_at__gt=now - CODE_RESEND_INTERVAL).exists():
        return None
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    # Only the newest code counts: older unused ones are withdrawn.
    codes.filter(used_at__isnull=True).delete()
    OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=_code_hash(user, code),
        channel=channel,
        expires_at=now + ttl,
    )
    return code


def check_one_time_code(user, purpose, code, *, request=None, name=""):
    """The unused, unexpired code record of ``user`` matching ``code``, typed for the sign-in
    ``name``.

    Raises ValidationError on ``code`` (wrong, used, expired, too many attempts); a wrong
    code counts as an attempt and as a failed sign-in of ``name``. ``user`` may be None
    (unknown account): that reads as wrong. Raises RateLimited while ``name`` is locked or
    the client address has failed too often.
    """
    throttling.check_attempt(request, name)
    record = OneTimeCode.objects.filter(user=user, purpose=purpose).first() if user else None
    code = (code or "").strip()
    if record is None:
        throttling.code_failed(request, name, detail=purpose)
        raise ValidationError({"code": _("The code is not correct.")}, code="wrong_code")
    if record.used_at is not None:
        raise ValidationError(
            {"code": _("This code has already been used. Request a new one.")}, code="code_used"
        )
    if record.expires_at <= timezone.now():
        raise ValidationError(
            {"code": _("This code has expired. Request a new one.")}, code="code_expired"
        )
    if record.attempts >= MAX_CODE_ATTEMPTS:
        raise ValidationError(
            {"code": _("Too many wrong codes. Request a new one.")}, code="code_attempts"
        )
    if not constant_time_compare(record.code_hash, _code_hash(user, code)):
        OneTimeCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        throttling.code_failed(request, name, user=user, detail=purpose)
        raise ValidationError({"code": _("The code is not correct.")}, code="wrong_code")
    return record


def claim_one_time_code(record):
    """Mark a checked code used (inside the transaction that acts on it).

    The conditional update makes the code single use even under concurrent requests.
    """
    claimed = OneTimeCode.objects.filter(pk=record.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not claimed:
        raise ValidationError(
            {"code": _("This code has already been used. Request a new one.")},
            code="code_used",
        )


def request_password_reset(request, username):
    """Send a one-time reset code to the account's bound phone (else email).

    Returns nothing that tells whether the account exists: the page answers the same either way.
    Raises RateLimited when the name or the address has asked for too many codes.
    """
    throttling.count_code_request(request, (username or "").strip())
    user = account_for_sign_in_name(username)
    if user is None:
        return
    channel, recipient = ("sms", user.phone) if user.phone else ("email", user.email)
    if not recipient:
        return
    minutes = parameters.get("security.code_ttl_minutes")
    with transaction.atomic():
        code = issue_one_time_code(
            user, CodePurpose.PASSWORD_RESET, channel, timedelta(minutes=minutes)
        )
        if code is None:
            return
        body = _(
            "Your Courtyard password reset code is %(code)s. It is valid for %(minutes)d "
            "minutes. If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": minutes}
        queue_message(
            channel,
            recipient,
            body,
            user=user,
            subject=_("Password reset code"),
            purpose="password_reset",
        )


def reset_password_with_code(request, username, code, new_password):
    """Set a new password for the holder of a valid reset code; unlocks the account.

    Raises ValidationError (on ``code`` or ``new_password1``) and changes nothing but the
    code's attempt counter when the code is wrong, expired, used up, or the password is weak.
    """
    user = account_for_sign_in_name(username)
    record = check_one_time_code(
        user, CodePurpose.PASSWORD_RESET, code, request=request, name=username
    )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.error_list})
    with transaction.atomic():
        claim_one_time_code(record)
        revoked = store_password(user, new_password, must_change=False)
        record_security_event(
            SecurityEventKind.PASSWORD_RESET,
            request=request,
            user=user,
            detail=_revoked_detail(revoked),
        )
        reset_axes_attempts(username=user.username)
    return user


# -- second factor ---------------------------------------------------------------------------


def confirmed_devices(user):
    return list(devices_for_user(user, confirmed=True))


def start_totp_setup(user):
    """A fresh, unconfirmed authenticator-app device (replacing an unfinished one)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def pending_totp_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def totp_qr_data_uri(device):
    """The otpauth:// link of ``device`` as an inline SVG QR code."""
    return segno.make_qr(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def totp_secret(device):
    """The key in base32, for typing into an app that cannot scan, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def start_message_device(user, channel, *, request=None):
    """An unconfirmed SMS or email code device; its first code is sent at once, within the
    one-time code limits."""
    recipient = {"sms": user.phone, "email": user.email}.get(channel)
    if recipient is None:
        raise ValidationError({"channel": _("Choose SMS or email.")}, code="invalid")
    if not recipient:
        message = (
            _("Add a mobile number to your profile first.")
            if channel == "sms"
            else _("Add an email address to your profile first.")
        )
        raise ValidationError({"channel": message}, code="no_recipient")
    name = _("SMS code") if channel == "sms" else _("Email code")
    throttling.count_code_request(request, user.username)
    with transaction.atomic():
        MessageDevice.objects.filter(user=user, confirmed=False).delete()
        device = MessageDevice.objects.create(
            user=user, name=name, channel=channel, confirmed=False
        )
        device.generate_challenge()
    return device


def pending_message_device(user):
    return MessageDevice.objects.filter(user=user, confirmed=False).first()


def confirm_device(request, user, device, token):
    """Confirm a new device with its first code; from then on sign-in asks for a code."""
    if device is None or device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("Start the set-up again."), code="no_device")
    if not device.verify_token((token or "").strip()):
        raise ValidationError({"token": _("The code is not correct.")}, code="wrong_code")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_security_event(
            SecurityEventKind.OTP_ENROLLED, request=request, user=user, detail=device.name
        )
    return device


def remove_device(user, device):
    """Remove one of the user's own second-factor devices."""
    if device is None or device.user_id != user.pk:
        raise PermissionDenied
    device.delete()
