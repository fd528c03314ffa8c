"""Account actions: security events, tokens, second factor, passwords.

Every function takes the acting user (or the request, for sign-in events) first and does
its writes in one transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token

from courtyard.core import parameters
from courtyard.core.audit import current_source
from courtyard.core.messaging import queue_message

from .choices import SecurityEventKind
from .models import ApiToken, SecurityEvent


def client_ip(request):
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_security_event(kind, *, request=None, user=None, username="", actor=None, detail=""):
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username or (user.username if user else ""),
        actor=actor,
        ip_address=client_ip(request),
        source=current_source(),
        detail=str(detail)[:255],
    )


def needs_second_factor(user):
    """A user with a confirmed device always uses it; the policy can require one for all."""
    if any(devices_for_user(user, confirmed=True)):
        return True
    return requires_second_factor(user)


def requires_second_factor(user):
    if user.is_resident:
        return False
    return user.require_two_factor or parameters.get("security.require_two_factor")


def verify_second_factor(user, token):
    token = (token or "").strip()
    if not token:
        return False
    device = match_token(user, token)
    if device is None:
        record_security_event(SecurityEventKind.OTP_FAILED, user=user)
        return False
    return True


def issue_api_token(request, user):
    with transaction.atomic():
        token, raw = ApiToken.issue(user)
        record_security_event(SecurityEventKind.API_LOGIN, request=request, user=user)
    return token, raw


def revoke_api_token(token):
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def send_sign_in_code(device):
    """Queue the one-time sign-in code of a MessageDevice through the outbox."""
    user = device.user
    minutes = 10
    body = _("Your Courtyard sign-in code is %(code)s. It is valid for %(minutes)d minutes.") % {
        "code": device.token,
        "minutes": minutes,
    }
    recipient = user.phone if device.channel == "sms" else user.email
    queue_message(
        device.channel,
        recipient,
        body,
        user=user,
        subject=_("Sign-in code"),
        purpose="sign_in_code",
    )


def set_password(actor, user, raw_password, *, must_change):
    """Store a new password; by an administrator (must_change) or by the user themselves."""
    with transaction.atomic():
        user.set_password(raw_password)
        user.must_change_password = must_change
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        kind = (
            SecurityEventKind.PASSWORD_SET_BY_ADMIN
            if actor != user
            else SecurityEventKind.PASSWORD_CHANGED
        )
        record_security_event(kind, user=user, actor=actor)
    return user
