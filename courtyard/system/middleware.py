"""Maintenance mode: while on, signed-in non-administrators see the upgrade page."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _

from .selectors import is_maintenance_admin, maintenance_state

# Reachable by everybody during maintenance: the notice itself, signing in and out, assets.
EXEMPT_PREFIXES = ("/maintenance/", "/static/", "/i18n/", "/accounts/login/", "/accounts/logout/")


class MaintenanceModeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES):
            state = maintenance_state()
            if state.is_on:
                user = self.user_of(request)
                if user is not None and not is_maintenance_admin(user):
                    return self.refuse(request, state)
        return self.get_response(request)

    def user_of(self, request):
        """The signed-in user: the session's, or for the API the bearer token's (the API
        authenticates inside Ninja, after the middleware)."""
        if request.path.startswith("/api/"):
            header = request.headers.get("Authorization", "")
            if not header.lower().startswith("bearer "):
                return None
            from courtyard.accounts.models import ApiToken, hash_token

            token = (
                ApiToken.objects.select_related("user")
                .filter(key_hash=hash_token(header[7:].strip()), revoked_at__isnull=True)
                .first()
            )
            return token.user if token is not None else None
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None

    def refuse(self, request, state):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {
                    "detail": _("System upgrade in progress. Try again later."),
                    "code": "maintenance",
                },
                status=503,
            )
            if state.until is not None:
                response.headers["Retry-After"] = http_date(state.until.timestamp())
            return response
        target = reverse("maintenance_notice")
        if getattr(request, "htmx", False):
            return HttpResponse(headers={"HX-Redirect": target})
        return redirect(target)
