"""Declared access for every view: default deny.

Each view states who may reach it: ``PUBLIC`` (sign-in pages), ``STAFF`` (any signed-in
staff member), ``RESIDENT`` (portal pages), or a permission name such as
``"estates.view_unit"``. A view whose path names an object also says of which model
(class views through their ``queryset`` or ``model``, function views with
``access(rule, model=...)``, API operations with ``acts_on``), so that the access matrix in
tests/test_access.py can walk it with real objects in and out of a user's data scope. The
matrix fails on a view without a declaration, so a new page cannot be reachable by accident.
"""

from functools import wraps

from django.apps import apps
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


def access(rule, model=None):
    """Declare and enforce the access rule of a function view; ``model`` is the model of the
    object its path names (``<int:pk>``), if any."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            denied = check_access(request, rule)
            return denied or view(request, *args, **kwargs)

        wrapped.courtyard_access = rule
        return acts_on(model)(wrapped) if model is not None else wrapped

    return decorator


def acts_on(model):
    """Declare the model of the object a view's or an API operation's path names (a class
    view says it only when its ``queryset`` is of another model, or it has none)."""

    def decorator(view):
        view.courtyard_model = model
        return view

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


def route_access(pattern):
    """The rule a URL pattern enforces: a class view may ask more of one route than it
    declares (the add and edit routes of one form view need add and change)."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None or not issubclass(view_class, AccessMixin):
        return declared_access(pattern.callback)
    view = view_class(**pattern.callback.view_initkwargs)
    view.args, view.kwargs = (), dict.fromkeys(pattern.pattern.converters)
    return view.get_access()


def declared_model(callback, rule=None):
    """The model of the object a URL callback's or an API operation's path names: declared
    (``acts_on``), a class view's queryset, or else the model whose permission ``rule`` is
    (``repairs.close_workorder``: a work order); None when none says."""
    view_class = getattr(callback, "view_class", None)
    model = getattr(view_class or callback, "courtyard_model", None)
    if model is None and view_class is not None:
        queryset = getattr(view_class, "queryset", None)
        model = queryset.model if queryset is not None else getattr(view_class, "model", None)
    if isinstance(model, str):  # "app_label.Model", where core may not import the module
        return apps.get_model(model)
    if isinstance(model, type):
        return model
    return permission_model(rule) if rule else None


def permission_model(rule):
    """The model a permission rule belongs to, or None (``STAFF``, a permission of no model)."""
    from django.contrib.auth.models import Permission

    if "." not in rule:
        return None
    app_label, codename = rule.split(".", 1)
    permission = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .select_related("content_type")
        .first()
    )
    return permission.content_type.model_class() if permission else None
