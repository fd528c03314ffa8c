"""Security events from Django's and axes' signals: sign-in, failure, lockout, sign-out."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import throttling
from .choices import SecurityEventKind
from .security import record_security_event


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record_security_event(SecurityEventKind.LOGIN, request=request, user=user)
    throttling.remember_sign_in(request, user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_security_event(SecurityEventKind.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def on_login_failed(
    sender, credentials, request=None, kind=SecurityEventKind.LOGIN_FAILED, user=None, **kwargs
):
    """A wrong password, or a wrong one-time code (whose sender names the kind and the user)."""
    # The username as typed is kept, whether or not such an account exists.
    username = credentials.get("username", "")
    detail = kwargs.get("detail", "")
    record_security_event(kind, request=request, user=user, username=username, detail=detail)
    throttling.record_failure(request, username)


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    record_security_event(SecurityEventKind.LOCKED, request=request, username=username or "")
