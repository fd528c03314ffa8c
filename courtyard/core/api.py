"""The API at /api/v1/: bearer-token auth, JSON errors with a code, list pagination.

The API instance (a ``CourtyardAPI``) and its routers are wired in ``courtyard/api.py``.
Each operation declares its access with
``@api_access(rule)`` (same rules as views); a test fails on an operation without one.
A model's list, get, create, patch and delete routes are declared with ``resource`` (at the
end of this module), and output schemas carry the ids of the records they name with
``id_of``; action endpoints (``/approve``, ``/void`` …) are written out.

Every error answers one shape, ``ErrorOut``: ``{"detail", "code", "errors": [{"field",
"code", "message", "row"?}]}`` in the user's language, whether a body did not fit its schema,
a service refused a value, or rows of a batch were wrong.
"""

import inspect
import sys
from functools import wraps
from typing import Annotated

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import AliasChoices, Field, create_model

from .access import PUBLIC, RESIDENT, SIGNED_IN, STAFF
from .exceptions import ChangedMeanwhile, StateConflict
from .ratelimit import RateLimited
from .references import resolve
from .scoping import get_for_action, permission_name
from .versions import expect_version, is_versioned, set_etag

# The database's integers: an id is a bigint, a count or number an integer column (a floor or
# a level a small one). A larger value in a request is refused by the schema instead of
# overflowing the database driver (SQLite stores it, PostgreSQL fails).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Int = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
SmallInt = Annotated[int, Field(ge=-(2**15), le=2**15 - 1)]


class FieldErrorOut(Schema):
    field: str = Field(description="The field, dotted when nested; empty for the whole request.")
    code: str
    message: str
    row: int | None = Field(None, description="The row of a batch, counted from 0.")


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[FieldErrorOut] = []


class ApiError(Exception):
    """An error answered as JSON ``{"detail", "code"}`` with the given HTTP status."""

    def __init__(self, status, detail, code):
        super().__init__(str(detail))
        self.status, self.detail, self.code = status, str(detail), code


def install_error_handlers(api):
    """Answer every error as ``ErrorOut`` with a 400/401/403/404/409/429 status."""

    def error(request, status, detail, code, errors=()):
        body = {"detail": str(detail), "code": code, "errors": list(errors)}
        return api.create_response(request, body, status=status)

    def on_api_error(request, exc):
        return error(request, exc.status, exc.detail, exc.code)

    def on_auth_error(request, exc):
        return error(
            request, 401, _("Sign in first: send a valid bearer token."), "not_authenticated"
        )

    def on_forbidden(request, exc):
        # A refusal that says why (e.g. a company-wide setting) keeps its reason, and its code
        # when it has one (core.exceptions.Refused: own_request …).
        code = getattr(exc, "code", None) or "permission_denied"
        return error(request, 403, str(exc) or _("No permission."), code)

    def on_not_found(request, exc):
        return error(request, 404, _("Not found."), "not_found")

    def on_conflict(request, exc):
        return error(request, 409, exc.message, exc.code)

    def on_integrity_error(request, exc):
        # A uniqueness or reference the service checked before saving failed anyway: a
        # concurrent change won the race, so this is a conflict, never a 500 or a 400. Any
        # other constraint (NOT NULL, CHECK) failing is a bug and stays a server error.
        if not lost_a_race(exc):
            raise exc
        conflict = ChangedMeanwhile()
        return error(request, 409, conflict.message, conflict.code)

    def on_rate_limited(request, exc):
        response = error(request, exc.status, exc.message, exc.code)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def on_invalid(request, exc):
        if rows := getattr(exc, "rows", None):
            errors = [
                {"field": r.field, "code": r.code, "message": str(r.message), "row": r.index}
                for r in rows
            ]
            return error(request, 400, exc.messages[0], exc.code or "invalid_rows", errors)
        if hasattr(exc, "error_dict"):
            errors = [
                {
                    "field": "" if field == NON_FIELD_ERRORS else field,
                    "code": item.code or "invalid",
                    "message": message,
                }
                for field, items in exc.error_dict.items()
                for item in items
                for message in item
            ]
            detail = "; ".join(
                f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
            )
            # One shared code (e.g. "duplicate") is more useful to a client than "invalid".
            codes = {e["code"] for e in errors}
            code = codes.pop() if len(codes) == 1 else "invalid"
            return error(request, 400, detail, code, errors)
        return error(request, 400, " ".join(exc.messages), exc.code or "invalid")

    def on_schema_error(request, exc):
        errors = [schema_error(item) for item in exc.errors]
        detail = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
        return error(
            request, 400, detail or _("The request is not valid."), "invalid_request", errors
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
        (IntegrityError, on_integrity_error),
        (RateLimited, on_rate_limited),
        (ValidationError, on_invalid),
        (NinjaValidationError, on_schema_error),
        (HttpError, on_http_error),
    ]:
        api.add_exception_handler(exc_class, handler)


# SQLSTATEs of a unique and a foreign-key violation (PostgreSQL); SQLite says it in words.
RACE_SQLSTATES = {"23505", "23503"}
RACE_MESSAGES = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")


def lost_a_race(exc):
    """True when an IntegrityError is a uniqueness or reference clash, the mark of a race."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RACE_SQLSTATES
    return str(exc).startswith(RACE_MESSAGES)


# Pydantic's messages are English only: the common kinds are said again in the user's
# language (several are Django's own sentences, and so already translated).
SCHEMA_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "decimal_type": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "finite_number": gettext_lazy("Enter a number."),
    "bool_type": gettext_lazy("Enter true or false."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "string_type": gettext_lazy("Enter text."),
    "list_type": gettext_lazy("Enter a list."),
    "dict_type": gettext_lazy("Enter an object."),
    "model_type": gettext_lazy("Enter an object."),
    "model_attributes_type": gettext_lazy("Enter an object."),
    "date_type": gettext_lazy("Enter a valid date."),
    "date_parsing": gettext_lazy("Enter a valid date."),
    "date_from_datetime_parsing": gettext_lazy("Enter a valid date."),
    "date_from_datetime_inexact": gettext_lazy("Enter a valid date."),
    "datetime_type": gettext_lazy("Enter a valid date/time."),
    "datetime_parsing": gettext_lazy("Enter a valid date/time."),
    "datetime_from_date_parsing": gettext_lazy("Enter a valid date/time."),
    "enum": gettext_lazy("Select a valid choice. That choice is not one of the available choices."),
    "literal_error": gettext_lazy(
        "Select a valid choice. That choice is not one of the available choices."
    ),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
    "extra_forbidden": gettext_lazy("This field is not allowed."),
    "none_required": gettext_lazy("This field must be empty."),
    "greater_than": gettext_lazy("Ensure this value is greater than %(limit_value)s."),
    "greater_than_equal": gettext_lazy(
        "Ensure this value is greater than or equal to %(limit_value)s."
    ),
    "less_than": gettext_lazy("Ensure this value is less than %(limit_value)s."),
    "less_than_equal": gettext_lazy("Ensure this value is less than or equal to %(limit_value)s."),
}
LIMITS = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt"}
# Where a value sits in a request, which the client did not name: dropped from the field.
SOURCES = {"body", "query", "path", "form", "file", "header", "cookie", "payload"}


def schema_message(item):
    """A pydantic error item's message in the user's language (its English one if unknown)."""
    kind, context = item.get("type", ""), item.get("ctx") or {}
    if kind == "string_too_long":
        limit = context.get("max_length", 0)
        return ngettext(
            "Ensure this value has at most %(limit)s character.",
            "Ensure this value has at most %(limit)s characters.",
            limit,
        ) % {"limit": limit}
    if kind == "string_too_short":
        limit = context.get("min_length", 0)
        return ngettext(
            "Ensure this value has at least %(limit)s character.",
            "Ensure this value has at least %(limit)s characters.",
            limit,
        ) % {"limit": limit}
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return decimal_message(kind, context)
    message = SCHEMA_MESSAGES.get(kind)
    if message is None:
        return str(item.get("msg", _("Enter a valid value.")))
    limit = context.get(LIMITS.get(kind, "le"))
    return str(message) % {"limit_value": limit} if "%(" in str(message) else str(message)


def decimal_message(kind, context):
    """Django's sentences for a decimal with too many digits (translated there already)."""
    if kind == "decimal_max_places":
        limit = context.get("decimal_places", 0)
        return ngettext(
            "Ensure that there are no more than %(max)s decimal place.",
            "Ensure that there are no more than %(max)s decimal places.",
            limit,
        ) % {"max": limit}
    if kind == "decimal_whole_digits":
        limit = context.get("whole_digits", 0)
        return ngettext(
            "Ensure that there are no more than %(max)s digit before the decimal point.",
            "Ensure that there are no more than %(max)s digits before the decimal point.",
            limit,
        ) % {"max": limit}
    limit = context.get("max_digits", 0)
    return ngettext(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
        limit,
    ) % {"max": limit}


def schema_error(item):
    """One pydantic error item as a ``FieldErrorOut``: the field's dotted path, its kind."""
    loc = [str(part) for part in item.get("loc", ()) if str(part) not in SOURCES]
    return {
        "field": ".".join(loc),
        "code": item.get("type", "invalid"),
        "message": schema_message(item),
    }


class CourtyardAPI(NinjaAPI):
    """The API whose document declares each operation's error answers with ``ErrorOut``."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = ErrorOut.model_json_schema(ref_template=REF_TEMPLATE)
        schema["components"]["schemas"].update(error.pop("$defs", {}), ErrorOut=error)
        content = {
            "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=ErrorOut.__name__)}}
        }
        operations = {
            operation.operation_id or self.get_openapi_operation_id(operation): operation
            for router in self._get_bound_routers()
            for path_view in router.path_operations.values()
            for operation in path_view.operations
        }
        for methods in schema["paths"].values():
            for method, details in methods.items():
                operation = operations[details["operationId"]]
                if checks_version(operation):
                    details.setdefault("parameters", []).append(IF_MATCH)
                for status in error_statuses(operation, method, details):
                    details["responses"].setdefault(
                        status, {"description": ERROR_DESCRIPTIONS[status], "content": content}
                    )
        return schema


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of the record as read: a change of another version answers 412.",
}

ERROR_DESCRIPTIONS = {
    400: "The request is not valid: see errors.",
    401: "Sign in first: send a valid bearer token.",
    403: "No permission.",
    404: "Not found, or outside the user's data scope.",
    409: "Not allowed in the record's current state, or changed meanwhile.",
    412: "The If-Match header names another version than the stored one.",
}


def error_statuses(operation, method, details):
    """The error answers an operation can give, from what it takes and who may call it."""
    statuses = []
    if details.get("parameters") or details.get("requestBody"):
        statuses.append(400)
    if getattr(operation.view_func, "courtyard_access", PUBLIC) != PUBLIC:
        statuses += [401, 403]
    if "{" in str(operation.path) or details.get("requestBody"):
        statuses.append(404)
    if method != "get":
        statuses.append(409)
    if checks_version(operation):
        statuses.append(412)
    return statuses


def checks_version(operation):
    """Whether the handler applies the client's ``If-Match`` (``core.versions.expect_version``).

    Read from the handler's code, so that an operation cannot call it and forget to say so; a
    handler of ``resource`` says it itself (it applies If-Match when its model is versioned).
    """
    handler = inspect.unwrap(operation.view_func)
    declared = getattr(handler, "courtyard_if_match", None)
    if declared is not None:
        return declared
    return "expect_version" in handler.__code__.co_names


HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "state_conflict",
    412: "precondition_failed",
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
    """``limit`` (default 50, at most 500) and ``offset``; answers ``{"items", "count"}``.

    A limit below 1 or a negative offset is a 400 (it used to be corrected silently).
    """

    MAX_LIMIT = 500

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_ID, description="At most 500 rows are answered.")
        offset: int = Field(0, ge=0, le=MAX_ID)

    def paginate_queryset(self, queryset, pagination, **params):
        limit, offset = min(pagination.limit, self.MAX_LIMIT), pagination.offset
        return {"items": queryset[offset : offset + limit], "count": self._items_count(queryset)}


def filter_query(filterset_class):
    """A query schema naming a filter set's parameters, so that the API docs list them.

    An operation takes it as ``filters: Query[...]`` for the docs only; ``filtered`` applies
    the filter set itself, with the same validation as the list pages.
    """
    fields = {}
    for name, item in filterset_class.base_filters.items():
        kind = Id if isinstance(item, django_filters.ModelChoiceFilter) else str
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


# Resources: a model's standard routes, declared -----------------------------------------------


def id_of(name):
    """An output field that answers the id of the record ``name`` refers to, read from the
    ``<name>_id`` column (no query per row; a dict or a schema may carry ``name`` itself)::

        class BuildingOut(Schema):
            estate: int = id_of("estate")
    """
    return Field(validation_alias=AliasChoices(f"{name}_id", name))


def resource(
    router,
    path,
    model,
    *,
    name,
    rows,
    out,
    detail=None,
    written=None,
    filterset=None,
    order=(),
    paging=None,
    listed=True,
    create=None,
    update=None,
    delete=None,
    references=None,
    clearable=(),
    reread=False,
    names=None,
    docs=None,
):
    """Register a model's list, get, create, patch and delete routes on ``router``::

        resource(
            router, "/buildings", Building, name="building",
            rows=selectors.visible_buildings, out=BuildingOut, filterset=BuildingFilterSet,
            create=(BuildingIn, services.create_building),
            update=(BuildingPatch, services.update_building),
            delete=services.delete_building,
            references={"estate": Estate},
        )

    Each route declares the model's permission for its action (``api_access``: 403) and
    reaches its record through ``rows(user, action)`` with ``get_for_action`` (404 outside the
    data scope). The list (unless ``listed=False``) takes the filter set's parameters plus
    ``limit``/``offset`` and answers ``{"items", "count"}``, ordered by ``order`` and read
    through ``paging`` (e.g. ``core.paging.IdsFirst``). ``create`` and ``update`` are
    ``(schema, service)``: the service is called as ``service(user, **values)`` and
    ``service(user, record, **changes)``; ``delete`` as ``service(user, record)``.

    A reference of a body (``references``: field → model or queryset) is resolved in the
    user's data scope (404 outside it, ``core.references``). In a patch a field left out
    keeps its value and so does ``null``, except in ``clearable`` fields, where it clears it.
    A detail and a change answer the ``ETag`` of a versioned record and a change applies the
    client's ``If-Match`` (412). Writes answer what the service returns, or the record read
    again through ``rows`` (``reread``) when the output needs its relations.

    ``out`` shapes the list, ``detail`` the detail (default ``out``), ``written`` what writes
    answer (default ``detail``). Handlers are named ``list_<path>``, ``get_<name>``,
    ``create_<name>``, ``update_<name>`` and ``delete_<name>`` in the declaring module (its
    operation ids; ``names`` renames one, e.g. ``{"create": "create_temporary_bill"}``), and
    ``docs`` gives a handler its description.
    """
    # The handlers belong to the declaring module: their operation ids and URL names name it,
    # as those of a handler written out there do.
    module = sys._getframe(1).f_globals["__name__"]
    names = {
        "list": f"list_{path.strip('/').replace('-', '_')}",
        **{verb: f"{verb}_{name}" for verb in ("get", "create", "update", "delete")},
        **(names or {}),
    }
    references = references or {}
    detail = detail or out
    written = written or detail
    versioned = is_versioned(model)

    def register(verb, method, route, handler, response, rule, paged=False):
        handler.__name__ = handler.__qualname__ = names[verb]
        handler.__module__ = module
        handler.__doc__ = (docs or {}).get(verb)
        view = api_access(rule)(paginate(Pagination)(handler) if paged else handler)
        if "{pk}" in route:
            view.courtyard_model = model  # the model of the object the path names
        router.add_api_operation(route, [method], view, response=response)

    def rule(action):
        return permission_name(model, action)

    def read(request, action, pk):
        return get_for_action(rows(request.user, action), request.user, action, pk=pk)

    def answer(request, action, record):
        return rows(request.user, action).get(pk=record.pk) if reread else record

    def referred(user, values):
        for field, source in references.items():
            if field in values:
                values[field] = resolve(user, source, values[field])
        return values

    def listing(request):
        queryset = rows(request.user, "view")
        if order:
            queryset = queryset.order_by(*order)
        if filterset is not None:
            queryset = filtered(filterset, request, queryset)
        return paging(queryset) if paging else queryset

    if listed:
        if filterset is None:

            def list_view(request):
                return listing(request)

        else:
            filters_schema = filter_query(filterset)  # the parameters, for the document

            def list_view(request, filters: Query[filters_schema]):
                return listing(request)

        register("list", "GET", path, list_view, list[out], rule("view"), paged=True)

    if create is not None:
        create_schema, create_service = create

        def create_view(request, payload: create_schema):
            values = referred(request.user, payload.dict())
            record = create_service(request.user, **values)
            return Status(201, answer(request, "add", record))

        register("create", "POST", path, create_view, {201: written}, rule("add"))

    def get_view(request, pk: int, response: HttpResponse):
        return set_etag(response, read(request, "view", pk))

    register("get", "GET", f"{path}/{{pk}}", get_view, detail, rule("view"))

    if update is not None:
        update_schema, update_service = update

        def update_view(request, pk: int, payload: update_schema, response: HttpResponse):
            record = read(request, "change", pk)
            if versioned:
                expect_version(request, record)
            changes = {
                field: value
                for field, value in payload.dict(exclude_unset=True).items()
                if value is not None or field in clearable
            }
            record = update_service(request.user, record, **referred(request.user, changes))
            return set_etag(response, answer(request, "change", record))

        update_view.courtyard_if_match = versioned
        register("update", "PATCH", f"{path}/{{pk}}", update_view, written, rule("change"))

    if delete is not None:

        def delete_view(request, pk: int):
            delete(request.user, read(request, "delete", pk))
            return Status(204, None)

        register("delete", "DELETE", f"{path}/{{pk}}", delete_view, {204: None}, rule("delete"))
