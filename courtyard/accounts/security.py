"""The security log and who is asking: the client's address, security events, lockouts.

Below both ``services`` and ``throttling``, which each read it.
"""

import ipaddress
import math

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from courtyard.core.audit import current_source

from .models import SecurityEvent


def client_ip(request):
    """The client's address, for the security log and the per-address limits.

    Behind the reverse proxy (``BEHIND_PROXY``) every request comes from the proxy, so the
    address is the one the proxy appended to X-Forwarded-For: the last entry, the only one a
    client cannot forge. Otherwise, and when that entry is not an address, REMOTE_ADDR.
    """
    if request is None:
        return None
    if settings.BEHIND_PROXY:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(appended))
        except ValueError:
            pass
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


def lockout_minutes_left(username):
    """Whole minutes until ``username`` may sign in again (0 when it is not locked).

    Works from axes' attempts alone, so an unknown username reads exactly like a real one.
    """
    if not username:
        return 0
    cool_off = settings.AXES_COOLOFF_TIME
    now = timezone.now()
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=now - cool_off)
    totals = recent.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (totals["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return 0
    left = (totals["last"] + cool_off - now).total_seconds()
    return max(1, math.ceil(left / 60))
