"""Declared access for every view: default deny.

Each view states who may reach it: ``PUBLIC`` (sign-in pages), ``STAFF`` (any signed-in
staff member), ``RESIDENT`` (portal pages), or a permission name such as
``"estates.view_unit"``. A test walks every URL pattern and fails on a view without a
declaration, so a new page cannot be reachable by accident.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

PUBLIC = "public"
STAFF = "staff"
RESIDENT = "resident"
# Staff or resident: for views that check the object itself (attachment downloads).
SIGNED_IN = "signed_in"


def check_access(request, rule):
    """None when ``request`` may proceed under ``rule``; else the response or exception."""
    if rule == PUBLIC:
        return None
    user = request.user
    if not user.is_authenticated:
        login_url = reverse("portal:login") if rule == RESIDENT else None
        return redirect_to_login(request.get_full_path(), login_url)
    if rule == RESIDENT:
        if not user.is_resident:
            raise PermissionDenied
        return None
    if rule == SIGNED_IN:
        return None
    if user.is_resident:
        # Residents never reach staff pages; a stray link takes them back to the portal.
        if request.path.startswith("/api/"):
            raise PermissionDenied
        return redirect("portal:home")
    if rule != STAFF and not user.has_perm(rule):
        raise PermissionDenied
    return None


def access(rule):
    """Declare and enforce the access rule of a function view."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            denied = check_access(request, rule)
            return denied or view(request, *args, **kwargs)

        wrapped.courtyard_access = rule
        return wrapped

    return decorator


class AccessMixin:
    """Declare and enforce the access rule of a class-based view (``access`` attribute)."""

    access = None

    def get_access(self):
        return type(self).access

    def dispatch(self, request, *args, **kwargs):
        rule = self.get_access()
        if rule is None:
            raise PermissionDenied  # undeclared: default deny
        denied = check_access(request, rule)
        return denied or super().dispatch(request, *args, **kwargs)


def declared_access(callback):
    """The declared rule of a resolved URL callback, or None."""
    if getattr(callback, "courtyard_access", None) is not None:
        return callback.courtyard_access
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        rule = getattr(view_class, "access", None)
        if rule is None and hasattr(view_class, "declared_access"):
            rule = view_class.declared_access()
        return rule
    return getattr(callback, "courtyard_access", None)
