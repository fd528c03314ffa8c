"""Resident accounts for the portal: invitation with an activation code, activation, and
sign-in with a one-time SMS code.

A resident account's username is its mobile number. It is created active but without a
usable password: the resident chooses one with the activation code sent by SMS, or signs in
with a one-time code instead. The codes follow the password-reset rules (stored hashed,
single use, five attempts, one new code a minute) and the limits of ``throttling``.
"""

from datetime import timedelta

from axes.utils import reset as reset_axes_attempts
from django.contrib.auth import login, password_validation
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from courtyard.core import parameters
from courtyard.core.messaging import queue_message

from . import throttling
from .choices import CodePurpose, SecurityEventKind, UserKind
from .models import User
from .services import (
    PHONE_PATTERN,
    check_one_time_code,
    claim_one_time_code,
    issue_one_time_code,
    record_security_event,
    sign_in_refusal,
    store_password,
)

ACTIVATION_TTL = timedelta(hours=72)
BACKEND = "courtyard.accounts.backends.CourtyardBackend"


def normalise_phone(phone):
    """The number as typed, without spaces, dashes or a +86 prefix."""
    phone = "".join(ch for ch in str(phone or "") if ch not in " -")
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def is_activated(user):
    """An account is in use once it is active and its holder has chosen a password."""
    return user.is_active and user.has_usable_password()


def resident_account(phone):
    """The active resident account signing in with ``phone``, or None."""
    phone = normalise_phone(phone)
    if not phone:
        return None
    return (
        User.objects.filter(kind=UserKind.RESIDENT, is_active=True)
        .filter(Q(username=phone) | Q(phone=phone))
        .order_by("pk")
        .first()
    )


def invite_permission():
    """``residents.invite_resident`` once the residents module defines it."""
    if Permission.objects.filter(
        content_type__app_label="residents", codename="invite_resident"
    ).exists():
        return "residents.invite_resident"
    return "accounts.add_user"


def invite_resident_account(actor, *, phone, full_name):
    """Create (or renew) the portal account of ``phone`` and text it an activation code.

    Returns ``(user, message)``. An account that is already in use, or a staff username,
    is refused with a ValidationError on ``phone``.
    """
    if not actor.has_perm(invite_permission()):
        raise PermissionDenied
    phone = normalise_phone(phone)
    full_name = str(full_name or "").strip()
    errors = {}
    if not PHONE_PATTERN.match(phone):
        errors["phone"] = _("Enter an 11-digit mainland mobile number, such as 13812345678.")
    if not full_name:
        errors["full_name"] = _("Enter the full name.")
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(kind=UserKind.STAFF, username=phone).exists():
        raise ValidationError(
            {"phone": _("This number is the username of a staff account; use another number.")},
            code="staff_account",
        )
    with transaction.atomic():
        existing = list(
            User.objects.select_for_update()
            .filter(kind=UserKind.RESIDENT)
            .filter(Q(username=phone) | Q(phone=phone))
            .order_by("pk")
        )
        if any(is_activated(user) for user in existing):
            raise ValidationError(
                {"phone": _("This number already has an activated portal account.")},
                code="already_active",
            )
        user = next((u for u in existing if u.username == phone), None) or (
            existing[0] if existing else User(kind=UserKind.RESIDENT, username=phone)
        )
        user.phone = phone
        user.full_name = full_name
        user.is_active = True
        user.must_change_password = False
        user.set_unusable_password()
        user.save()
        # An invitation always sends a code: the one-a-minute limit protects sign-in pages
        # from strangers, not staff from themselves.
        user.one_time_codes.filter(purpose=CodePurpose.ACTIVATION).delete()
        code = issue_one_time_code(user, CodePurpose.ACTIVATION, "sms", ACTIVATION_TTL)
        hours = int(ACTIVATION_TTL.total_seconds() // 3600)
        body = _(
            "【Courtyard】You are invited to the resident service platform. Activation code "
            "%(code)s, valid for %(hours)d hours. Activate at %(url)s"
        ) % {"code": code, "hours": hours, "url": reverse("portal:activate")}
        message = queue_message(
            "sms",
            phone,
            body,
            user=user,
            subject=_("Resident portal invitation"),
            purpose="portal_invitation",
        )
        record_security_event(SecurityEventKind.INVITED, user=user, actor=actor)
    return user, message


def activate_resident_account(phone, code, password, *, request=None):
    """Set the password of an invited resident who holds a valid activation code.

    Raises ValidationError on ``code`` or ``new_password1``; nothing changes but the code's
    attempt counter.
    """
    user = resident_account(phone)
    record = check_one_time_code(
        user, CodePurpose.ACTIVATION, code, request=request, name=normalise_phone(phone)
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.error_list})
    with transaction.atomic():
        claim_one_time_code(record)
        store_password(user, password, must_change=False)
        record_security_event(SecurityEventKind.ACTIVATED, request=request, user=user)
        reset_axes_attempts(username=user.username)
    return user


def send_portal_sign_in_code(phone, *, request=None):
    """Text a one-time sign-in code to a resident account's phone.

    Says nothing about whether the account exists, and sends at most one code a minute.
    Raises RateLimited when the number or the address has asked for too many codes.
    """
    throttling.count_code_request(request, normalise_phone(phone))
    user = resident_account(phone)
    if user is None:
        return
    minutes = parameters.get("security.code_ttl_minutes")
    with transaction.atomic():
        code = issue_one_time_code(user, CodePurpose.SIGN_IN, "sms", timedelta(minutes=minutes))
        if code is None:
            return
        body = _(
            "【Courtyard】Your resident portal sign-in code is %(code)s. It is valid for "
            "%(minutes)d minutes. If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": minutes}
        queue_message(
            "sms",
            user.phone or user.username,
            body,
            user=user,
            subject=_("Sign-in code"),
            purpose="portal_sign_in",
        )


def sign_in_with_code(request, phone, code):
    """Sign ``request`` in as the resident holding a valid sign-in code for ``phone``.

    Raises ValidationError on ``code`` (the same message for an unknown number), or a
    non-field ValidationError when sign-in is closed (maintenance).
    """
    user = resident_account(phone)
    record = check_one_time_code(
        user, CodePurpose.SIGN_IN, code, request=request, name=normalise_phone(phone)
    )
    refusal = sign_in_refusal(user)
    if refusal:
        raise ValidationError(refusal, code="maintenance")
    with transaction.atomic():
        claim_one_time_code(record)
    login(request, user, backend=BACKEND)
    return user
