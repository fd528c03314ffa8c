"""The API at /api/v1/: bearer-token auth, JSON errors with a code, list pagination.

The NinjaAPI instance and its routers are wired in ``courtyard/api.py``.
Each operation declares its access with
``@api_access(rule)`` (same rules as views); a test fails on an operation without one.
"""

from functools import wraps

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from pydantic import Field, create_model

from .access import PUBLIC, RESIDENT, SIGNED_IN, STAFF
from .exceptions import StateConflict
from .ratelimit import RateLimited


class ErrorOut(Schema):
    detail: str
    code: str


class ApiError(Exception):
    """An error answered as JSON ``{"detail", "code"}`` with the given HTTP status."""

    def __init__(self, status, detail, code):
        super().__init__(str(detail))
        self.status, self.detail, self.code = status, str(detail), code


def install_error_handlers(api):
    """Answer every error as JSON ``{"detail", "code"}`` with a 400/401/403/404/409/429
    status."""

    def error(request, status, detail, code, **extra):
        body = {"detail": str(detail), "code": code, **extra}
        return api.create_response(request, body, status=status)

    def on_api_error(request, exc):
        return error(request, exc.status, exc.detail, exc.code)

    def on_auth_error(request, exc):
        return error(
            request, 401, _("Sign in first: send a valid bearer token."), "not_authenticated"
        )

    def on_forbidden(request, exc):
        # A refusal that says why (e.g. a company-wide setting) keeps its reason.
        return error(request, 403, str(exc) or _("No permission."), "permission_denied")

    def on_not_found(request, exc):
        return error(request, 404, _("Not found."), "not_found")

    def on_conflict(request, exc):
        return error(request, 409, exc.message, exc.code)

    def on_rate_limited(request, exc):
        response = error(request, exc.status, exc.message, exc.code)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def on_invalid(request, exc):
        if hasattr(exc, "error_dict"):
            messages = exc.message_dict
            detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in messages.items())
            # One shared code (e.g. "duplicate") is more useful to a client than "invalid".
            codes = {e.code for errors in exc.error_dict.values() for e in errors if e.code}
            code = codes.pop() if len(codes) == 1 else "invalid"
            return error(request, 400, detail, code, errors=messages)
        return error(request, 400, " ".join(exc.messages), exc.code or "invalid")

    def on_schema_error(request, exc):
        return error(
            request, 400, _("The request is not valid."), "invalid_request", errors=exc.errors
        )

    def on_http_error(request, exc):
        return error(
            request, exc.status_code, exc.message, HTTP_CODES.get(exc.status_code, "error")
        )

    for exc_class, handler in [
        (ApiError, on_api_error),
        (AuthenticationError, on_auth_error),
        (PermissionDenied, on_forbidden),
        (Http404, on_not_found),
        (StateConflict, on_conflict),
        (RateLimited, on_rate_limited),
        (ValidationError, on_invalid),
        (NinjaValidationError, on_schema_error),
        (HttpError, on_http_error),
    ]:
        api.add_exception_handler(exc_class, handler)


HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "state_conflict",
}


def api_access(rule):
    """Declare and enforce who may call an operation: PUBLIC, STAFF, RESIDENT or a permission."""

    def decorator(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if rule != PUBLIC:
                if not user.is_authenticated:
                    raise ApiError(
                        401, _("Sign in first: send a valid bearer token."), "not_authenticated"
                    )
                if rule == RESIDENT and not user.is_resident:
                    raise PermissionDenied
                if rule not in (RESIDENT, SIGNED_IN) and user.is_resident:
                    raise PermissionDenied
                if rule not in (STAFF, RESIDENT, SIGNED_IN) and not user.has_perm(rule):
                    raise PermissionDenied
            return func(request, *args, **kwargs)

        wrapped.courtyard_access = rule
        return wrapped

    return decorator


class Pagination(LimitOffsetPagination):
    """``limit`` (default 50, at most 500) and ``offset``; answers ``{"items", "count"}``."""

    class Input(Schema):
        limit: int = 50
        offset: int = 0

    def paginate_queryset(self, queryset, pagination, **params):
        limit = max(1, min(pagination.limit, 500))
        offset = max(0, pagination.offset)
        return {"items": queryset[offset : offset + limit], "count": self._items_count(queryset)}


def filter_query(filterset_class):
    """A query schema naming a filter set's parameters, so that the API docs list them.

    An operation takes it as ``filters: Query[...]`` for the docs only; ``filtered`` applies
    the filter set itself, with the same validation as the list pages.
    """
    fields = {}
    for name, item in filterset_class.base_filters.items():
        kind = int if isinstance(item, django_filters.ModelChoiceFilter) else str
        fields[name] = (kind | None, Field(None, description=str(item.label or name)))
    return create_model(f"{filterset_class.__name__}Query", __base__=Schema, **fields)


def filtered(filterset_class, request, queryset):
    """Apply a module's filter set to API query parameters; a bad filter is a 400."""
    filterset = filterset_class(request.GET, queryset, request=request)
    if not filterset.is_valid():
        errors = {k: [str(m) for m in v] for k, v in filterset.errors.items()}
        raise ApiError(
            400, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), "invalid_filter"
        )
    return filterset.qs
