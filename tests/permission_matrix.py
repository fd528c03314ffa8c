"""Shared test helpers: the routes and API operations generated from the URL resolver and the
OpenAPI document (walked by tests/test_access.py), and the permission-matrix mixin every
model's tests inherit.

Every route is a ``Route``: its URL pattern, the rule it enforces, the model of the object its
path names (``core.access.declared_model``) and the methods it answers; every operation an
``Operation`` with the same, its path parameters' types and a minimal valid body.

A module's test declares its model once::

    class TestUnitPermissions(ModelPermissionMatrix):
        model = Unit

        def make_object(self, estate):
            return UnitFactory(entrance=EntranceFactory(building__estate=estate))

and gets, for every page of the model in the URL resolver (or those ``url_names`` picks):
anonymous → sign-in redirect, signed in without the permission its route enforces → 403,
with it → 200, object outside the user's data scope → 404; for the API endpoints it names,
the same as 401 / 403 / 200 / 404 JSON with a code.
"""

import inspect
import re
from dataclasses import dataclass
from functools import cache

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from courtyard.core.access import declared_access, declared_model, route_access
from courtyard.core.scoping import permission_name

METHODS = ("GET", "POST")  # what a page answers: its view and its actions


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace + (entry.name or ""), entry


def page_patterns():
    for route, _name, pattern in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            yield route, pattern


@dataclass(frozen=True)
class Route:
    """One page route: ``repairs/<int:pk>/close/`` needs ``repairs.close_workorder`` and names
    a WorkOrder; ``methods`` are those its view answers."""

    route: str
    name: str
    pattern: object
    rule: str | None
    model: type | None
    methods: tuple

    @property
    def parameters(self):
        return re.findall(r"<(?:(\w+):)?(\w+)>", self.route)

    def url(self, obj=None, values=None):
        """The URL with the object's id for its int parameter, ``values`` for the others."""

        def fill(match):
            converter, name = match.group(1), match.group(2)
            if converter == "int":
                return str(obj.pk if obj is not None else 999999)
            return (values or {}).get(name, "x")

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.route)


def allowed_methods(callback):
    """The methods of ``METHODS`` a view answers: a class view those it defines, a function
    view those its ``require_http_methods`` (``require_POST`` …) lets through."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return tuple(m for m in METHODS if hasattr(view_class, m.lower()))
    func = callback
    while func is not None:
        names = func.__code__.co_freevars
        if "request_method_list" in names:
            allowed = func.__closure__[names.index("request_method_list")].cell_contents
            return tuple(m for m in METHODS if m in allowed)
        func = getattr(func, "__wrapped__", None)
    return METHODS


@cache
def page_routes():
    """Every page route of the URL resolver (the API's are operations)."""
    routes = []
    for route, name, pattern in walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            continue
        rule = route_access(pattern) if declared_access(pattern.callback) else None
        model = declared_model(pattern.callback, rule) if "<int:" in route else None
        routes.append(Route(route, name, pattern, rule, model, allowed_methods(pattern.callback)))
    return routes


@dataclass(frozen=True)
class Operation:
    """One API operation: ``POST /work-orders/{pk}/close`` needs ``repairs.close_workorder``
    and names a WorkOrder; ``parameters`` maps each path parameter to its JSON type."""

    path: str
    method: str
    rule: str | None
    model: type | None
    parameters: dict
    body: dict | None
    multipart: bool

    def url(self, obj=None, values=None):
        def fill(match):
            name = match.group(1)
            if self.parameters.get(name) == "integer":
                return str(obj.pk if obj is not None else 999999)
            return (values or {}).get(name, "x")

        return "/api/v1" + re.sub(r"\{(\w+)\}", fill, self.path)

    def __str__(self):
        return f"{self.method} {self.path}"


def api_operations(document=None, references=None):
    """Every operation of the API (child routers included), described from its OpenAPI
    document; ``references`` ({field name: object}) fills the ids of its minimal body."""
    from courtyard.api import api

    document = document or openapi_document()
    operations = []
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                view = operation.view_func
                rule = getattr(view, "courtyard_access", None)
                for method in operation.methods:
                    details = document["paths"]["/api/v1" + path][method.lower()]
                    parameters = {
                        p["name"]: p["schema"].get("type")
                        for p in details.get("parameters", ())
                        if p["in"] == "path"
                    }
                    body, multipart = request_body(document, details, references or {})
                    names_an_object = "integer" in parameters.values()
                    model = declared_model(view, rule) if names_an_object else None
                    operations.append(
                        Operation(path, method, rule, model, parameters, body, multipart)
                    )
    return operations


UPLOAD = "<an uploaded file>"  # stands for a file in a multipart body (``uploads``)


def uploads(data):
    """A multipart body with a small PNG for each file field (fresh: an upload is read once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courtyard.repairs.tests.conftest import png_bytes

    def upload(value):
        if isinstance(value, list):
            return [upload(item) for item in value]
        if value == UPLOAD:
            return SimpleUploadedFile("matrix.png", png_bytes(), content_type="image/png")
        return value

    return {key: upload(value) for key, value in (data or {}).items()}


@cache
def openapi_document():
    from courtyard.api import api

    return api.get_openapi_schema()


def request_body(document, details, references):
    """A minimal body the operation's schema accepts: its required fields, ids from
    ``references`` by field name (``unit``, ``estate`` …)."""
    content = details.get("requestBody", {}).get("content", {})
    for media_type, multipart in (("application/json", False), ("multipart/form-data", True)):
        if media_type in content:
            return example(document, content[media_type]["schema"], references), multipart
    return None, False


def example(document, schema, references, name=""):
    """The smallest value ``schema`` accepts (a JSON Schema of the OpenAPI document)."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example(document, options[0], references, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            key: example(document, value, references, key)
            for key, value in schema.get("properties", {}).items()
            if key in schema.get("required", ())
        }
    if kind == "array":
        item = example(document, schema.get("items", {}), references, name)
        return [item] * max(schema.get("minItems", 0), 1 if name in references else 0)
    if kind == "integer":
        if name in references:
            return references[name].pk
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    formats = {"date": "2026-10-01", "date-time": "2026-10-01T09:00:00+08:00", "binary": UPLOAD}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return "x" * max(schema.get("minLength", 1), 1)


def source_of(callback):
    """Where a view is written, for messages."""
    view = getattr(callback, "view_class", None) or inspect.unwrap(callback)
    return f"{view.__module__}.{view.__qualname__}"


@pytest.mark.django_db
class ModelPermissionMatrix:
    model = None
    url_names: dict | None = None  # page -> URL name; None: all the model's pages (``pages``)
    api_list: str | None = None  # e.g. "/api/v1/units"
    api_detail: str | None = None  # e.g. "/api/v1/units/{pk}"

    def make_object(self, estate):
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------
    def _setup(self):
        from tests.factories import EstateFactory, make_user

        self.home_estate = EstateFactory()
        self.other_estate = EstateFactory()
        self.obj = self.make_object(self.home_estate)
        self.foreign = self.make_object(self.other_estate)
        self.make_user = make_user

    def pages(self):
        """{page: Route} of the pages named in ``url_names``, else of every page the resolver
        names after the model (``estates:unit_list``, ``estates:unit_edit`` … for Unit)."""
        routes = {route.name: route for route in page_routes()}
        if self.url_names is not None:
            return {page: routes[name] for page, name in self.url_names.items()}
        opts = self.model._meta
        prefix = f"{opts.app_label}:{opts.model_name}_"
        return {
            name.removeprefix(prefix): route
            for name, route in routes.items()
            if name.startswith(prefix) and "GET" in route.methods
        }

    def _perm(self, page):
        return self.pages()[page].rule  # the rule its route enforces

    def _url(self, page, obj=None):
        route = self.pages()[page]
        return reverse(route.name, args=[obj.pk]) if "<int:" in route.route else reverse(route.name)

    def _pages(self):
        return [page for page in self.pages() if page != "export"]

    # -- the matrix ----------------------------------------------------------------------
    def test_pages_send_anonymous_users_to_sign_in(self, client):
        self._setup()
        for page in self._pages():
            response = client.get(self._url(page, self.obj))
            assert response.status_code == 302, page
            assert reverse("accounts:login") in response["Location"], page

    def test_pages_refuse_users_without_the_permission(self, client):
        self._setup()
        # Some unrelated permission, so the user is a working staff member, not an empty shell.
        client.force_login(self.make_user("no_rights", "accounts.view_department"))
        for page in self._pages():
            assert client.get(self._url(page, self.obj)).status_code == 403, page

    def test_pages_open_with_the_permission(self, client):
        self._setup()
        perms = {self._perm(page) for page in self._pages()}
        client.force_login(self.make_user("holder", *perms, estates=[self.home_estate]))
        for page in self._pages():
            assert client.get(self._url(page, self.obj)).status_code == 200, page

    def test_objects_outside_the_scope_are_not_found(self, client):
        self._setup()
        perms = {self._perm(page) for page in self._pages()}
        client.force_login(self.make_user("scoped", *perms, estates=[self.home_estate]))
        for page in self._pages():
            if "<int:" in self.pages()[page].route:
                assert client.get(self._url(page, self.foreign)).status_code == 404, page

    def test_api_matrix(self, client):
        if not self.api_list:
            pytest.skip("no API for this model")
        self._setup()
        from courtyard.accounts.models import ApiToken

        detail = self.api_detail.format(pk=self.obj.pk)
        foreign = self.api_detail.format(pk=self.foreign.pk)
        anonymous = client.get(self.api_list)
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"

        _token, raw = ApiToken.issue(self.make_user("api_none"))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        for url in (self.api_list, detail):
            denied = client.get(url, **headers)
            assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"

        user = self.make_user(
            "api_holder", permission_name(self.model, "view"), estates=[self.home_estate]
        )
        _token, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        listing = client.get(self.api_list, **headers).json()
        ids = {item["id"] for item in listing["items"]}
        assert self.obj.pk in ids and self.foreign.pk not in ids
        assert client.get(detail, **headers).status_code == 200
        missing = client.get(foreign, **headers)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"
