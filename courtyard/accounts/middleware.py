"""Request guards for signed-in users: idle timeout, forced password change, second factor;
and the known-device cookie a sign-in leaves behind."""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from courtyard.core import parameters

from . import throttling
from .choices import SecurityEventKind

# Paths a user may reach while a password change or second-factor set-up is pending.
ALWAYS_ALLOWED_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/maintenance/")
LAST_ACTIVITY = "last_activity"


def go_to(request, url):
    """A redirect that also works for an HTMX request (which would swap the page in)."""
    if getattr(request, "htmx", False):
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


ACTIVITY_RESOLUTION = 60  # seconds


class IdleTimeoutMiddleware:
    """Sign out a user who has done nothing for the configured number of minutes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            limit = parameters.get("security.idle_timeout_minutes") * 60
            if last is not None and now - last > limit:
                from .security import record_security_event

                record_security_event(SecurityEventKind.TIMED_OUT, request=request, user=user)
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                login_url = redirect_to_login(request.get_full_path())["Location"]
                return go_to(request, login_url)
            # Written at most once a minute: saving the session on every page costs a write
            # per request, and the timeout is counted in minutes.
            if last is None or now - last >= ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


class AccountGuardMiddleware:
    """Until the initial password is changed (or a required second factor set up), every page
    leads to that form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_resident
            and not request.path.startswith("/api/")
            and not request.path.startswith(ALWAYS_ALLOWED_PREFIXES)
        ):
            step = self.pending_step(user)
            if step and not request.path.startswith(step):
                return go_to(request, step[0])
        return self.get_response(request)

    def pending_step(self, user):
        """The page the user must finish first, followed by the pages that step may use."""
        if user.must_change_password:
            return (reverse("accounts:password_change"),)
        from .services import requires_second_factor

        if requires_second_factor(user) and not user.is_verified():
            # The profile stays open: a phone or email may be needed for SMS / email codes.
            return (reverse("accounts:two_factor"), reverse("accounts:profile"))
        return None


class KnownDeviceMiddleware:
    """Give the browser (or API client) that has just signed in its known-device cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        throttling.set_device_cookie(request, response)
        return response
