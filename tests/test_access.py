"""Default deny, walked: every page and API operation declares who may reach it and which
model of object its path names, and the declaration holds when walked.

The routes come from the URL resolver and the operations from the OpenAPI document
(tests/permission_matrix.py); their path parameters are filled with real objects, inside and
outside a data scope (tests/access_world.py). Each route is walked with GET and its POST
actions, each operation with its method and a minimal valid body:

- anonymous visitors are sent to sign in (the API answers 401 JSON);
- residents are sent back to the portal or refused on staff pages (the API answers 403);
- staff without the route's permission get 403, whatever else they hold;
- staff with every permission get 404 for an object outside their data scope, and residents
  for another resident's object in the portal — and never a 404 for an object inside.

A new route whose path names an object without a model to fill it with fails here.
"""

import json
from collections import Counter

import pytest
from django.db import transaction
from django.http import HttpResponseForbidden, HttpResponseNotFound

from courtyard.accounts.models import ApiToken, Role
from courtyard.core.access import PUBLIC, RESIDENT, SIGNED_IN, STAFF, declared_access
from tests.access_world import build_world
from tests.permission_matrix import (
    api_operations,
    page_patterns,
    page_routes,
    source_of,
    uploads,
)

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PORTAL_LOGIN = "/portal/login/"
NOT_A_PERMISSION = (PUBLIC, STAFF, RESIDENT, SIGNED_IN)
# What each walk sent, for the figures printed at the end (pytest -s).
WALKED = Counter()


def refused_rules():
    """The permissions routes and operations require: a staff member holding every other one
    is made for each."""
    rules = {route.rule for route in page_routes()} | {op.rule for op in api_operations()}
    return {rule for rule in rules if rule and rule not in NOT_A_PERMISSION}


@pytest.fixture(scope="module", autouse=True)
def plain_error_pages():
    """403 and 404 answered without their page: the walk asks thousands of them, and the
    pages (the staff shell around a message) have their own tests."""
    import courtyard.urls

    def refused(request, exception=None):
        return HttpResponseForbidden()

    def not_found(request, exception=None):
        return HttpResponseNotFound()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(courtyard.urls, "handler403", refused)
        patch.setattr(courtyard.urls, "handler404", not_found)
        yield


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One set of objects for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world(refused_rules())
        transaction.set_rollback(True)


# Body fields that name a record by another word than its model's name.
FIELD_MODELS = {
    "category": "repaircategory",
    "item": "chargeitem",
    "assignee": "user",
    "payer": "resident",
}


@pytest.fixture(scope="module")
def operations(world):
    """The API's operations, their bodies naming records inside the scope by field name
    (``unit``, ``units``, ``category`` …)."""
    by_name = {model._meta.model_name: obj for model, obj in world.inside.items()}
    references = {}
    for name in {*by_name, *FIELD_MODELS}:
        obj = by_name.get(FIELD_MODELS.get(name, name))
        references[name] = references[f"{name}s"] = obj
    references["roles"] = world.inside[Role].group
    return api_operations(references={k: v for k, v in references.items() if v is not None})


def send(client, method, url, body=None, multipart=False, **headers):
    """One request; a write is rolled back, so that a walk never changes what it walks. A
    page's POST sends an empty form, an operation its minimal body (JSON or multipart)."""
    if method == "GET":
        return client.get(url, **headers)
    with transaction.atomic():
        if multipart or (body is None and method == "POST"):
            response = client.post(url, uploads(body), **headers)
        else:
            data = json.dumps(body or {})
            response = client.generic(method, url, data, content_type="application/json", **headers)
        transaction.set_rollback(True)
    return response


def sign_in(client, user):
    """Sign in as a user of the world, read again (each sign-in stamps the stored row)."""
    client.force_login(type(user).objects.get(pk=user.pk))


def obj_for(world, route, side="inside"):
    if route.model is None:
        return None
    return getattr(world, side).get(route.model)


def report(failures):
    return "\n".join(failures)


# Declarations ------------------------------------------------------------------------------


def test_every_page_declares_its_access():
    undeclared = [route for route, p in page_patterns() if declared_access(p.callback) is None]
    assert undeclared == []


def test_every_api_operation_declares_its_access():
    undeclared = [str(op) for op in api_operations() if op.rule is None]
    assert undeclared == []


def test_every_object_in_a_path_has_a_model_to_fill_it_with(world):
    """An id in a path needs its model (a class view's queryset, ``access(rule, model=…)``,
    ``acts_on`` or the model of its permission); the matrix needs an object of it; any other
    parameter a value."""
    missing = []
    for route in page_routes():
        for converter, name in route.parameters:
            where = f"{route.route} ({source_of(route.pattern.callback)})"
            if converter == "int" and route.model is None:
                missing.append(f"{where}: declare the model its <{converter}:{name}> names")
            elif converter == "int" and route.model not in world.inside:
                missing.append(f"{where}: add a {route.model.__name__} to tests/access_world.py")
            elif converter != "int" and name not in world.values:
                missing.append(f"{where}: give <{name}> a value in tests/access_world.py")
    for op in api_operations():
        for name, kind in op.parameters.items():
            if kind == "integer" and op.model is None:
                missing.append(f"{op}: declare the model its {{{name}}} names (acts_on)")
            elif kind == "integer" and op.model not in world.inside:
                missing.append(f"{op}: add a {op.model.__name__} to tests/access_world.py")
            elif kind != "integer" and name not in world.values:
                missing.append(f"{op}: give {{{name}}} a value in tests/access_world.py")
    assert missing == [], report(missing)


# Pages -------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    failures = []
    for route in page_routes():
        if route.rule == PUBLIC:
            continue
        url = route.url(obj_for(world, route), world.values)
        for method in route.methods:
            response = send(client, method, url)
            WALKED["pages", "anonymous", method] += 1
            login = PORTAL_LOGIN if route.rule == RESIDENT else LOGIN
            if response.status_code != 302 or login not in response["Location"]:
                failures.append(f"{method} {url}: {response.status_code}, not sent to {login}")
    assert failures == [], report(failures)


def test_staff_without_permissions_get_403_on_protected_pages(client, world):
    sign_in(client, world.users["bare"])
    failures = []
    for route in page_routes():
        if route.rule in NOT_A_PERMISSION:
            continue
        url = route.url(obj_for(world, route), world.values)
        for method in route.methods:
            WALKED["pages", "no permissions", method] += 1
            status = send(client, method, url).status_code
            if status != 403:
                failures.append(f"{method} {url}: {status}")
    assert failures == [], report(failures)


def test_staff_without_the_pages_permission_get_403(client, world):
    """Holding every other permission does not open a page: only its own does."""
    failures = []
    signed_in = None
    for route in sorted(page_routes(), key=lambda route: str(route.rule)):
        if route.rule in NOT_A_PERMISSION:
            continue
        if signed_in != route.rule:
            sign_in(client, world.without[route.rule])
            signed_in = route.rule
        url = route.url(obj_for(world, route), world.values)
        for method in route.methods:
            WALKED["pages", "without the permission", method] += 1
            status = send(client, method, url).status_code
            if status != 403:
                failures.append(f"{method} {url} without {route.rule}: {status}")
    assert failures == [], report(failures)


def test_pages_for_any_staff_member_hide_others_objects(client, world):
    """Pages declared for any staff member, walked by one holding no permission at all: an
    object of someone else's on them (a job, an approval request, a file) is not found."""
    sign_in(client, world.users["bare"])
    failures = []
    for route in page_routes():
        if route.rule not in (STAFF, SIGNED_IN):
            continue
        url = route.url(obj_for(world, route), world.values)
        for method in route.methods:
            WALKED["pages", "any staff member", method] += 1
            status = send(client, method, url).status_code  # a server error raises
            if route.model is not None and status != 404:
                failures.append(f"{method} {url}: {status}, not 404")
    assert failures == [], report(failures)


def test_residents_never_reach_staff_pages(client, world):
    """A resident account on any staff page is sent to the portal (or refused), never served,
    even a page about the resident's own home, bill or repair."""
    sign_in(client, world.users["resident"])
    failures = []
    for route in page_routes():
        if route.rule in (PUBLIC, RESIDENT, SIGNED_IN):
            continue
        url = route.url(obj_for(world, route), world.values)
        for method in route.methods:
            WALKED["pages", "resident", method] += 1
            response = send(client, method, url)
            status = response.status_code
            if status not in (302, 403, 404) or (
                status == 302 and response["Location"] != "/portal/"
            ):
                failures.append(f"{method} {url}: {status} {response.get('Location', '')}")
    assert failures == [], report(failures)


def scope_failures(client, world, routes, label):
    """Outside: 404; inside: anything but 404, which shows that the id names the model the
    route declares (company-wide records have an inside only)."""
    failures = []
    for route in routes:
        outside, inside = obj_for(world, route, "outside"), obj_for(world, route, "inside")
        url = route.url(inside, world.values)
        status = send(client, route.methods[0], url).status_code  # its page, else its action
        if status == 404:
            name = route.model.__name__
            failures.append(f"{route.methods[0]} {url} (inside): 404 - does it name a {name}?")
        for method in route.methods:
            if outside is None:
                WALKED["pages", f"{label}: inside only (company-wide)", method] += 1
                continue
            WALKED["pages", label, method] += 1
            url = route.url(outside, world.values)
            status = send(client, method, url).status_code
            if status != 404:
                failures.append(f"{method} {url} (outside): {status}, not 404")
    return failures


def test_objects_outside_the_data_scope_are_not_found(client, world):
    sign_in(client, world.users["scoped"])
    routes = [r for r in page_routes() if r.model is not None and r.rule != RESIDENT]
    failures = scope_failures(client, world, routes, "outside the data scope")
    assert failures == [], report(failures)


def test_residents_do_not_find_another_residents_objects(client, world):
    sign_in(client, world.users["resident"])
    routes = [r for r in page_routes() if r.model is not None and r.rule in (RESIDENT, SIGNED_IN)]
    failures = scope_failures(client, world, routes, "another resident's")
    assert failures == [], report(failures)


# API ---------------------------------------------------------------------------------------


def token_of(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def call(client, world, op, side="inside", **headers):
    obj = getattr(world, side).get(op.model) if op.model is not None else None
    return send(client, op.method, op.url(obj, world.values), op.body, op.multipart, **headers)


def test_api_answers_401_json_without_a_token(client, world, operations):
    failures = []
    for op in operations:
        if op.rule == PUBLIC:
            continue
        WALKED["api", "anonymous", op.method] += 1
        response = call(client, world, op)
        if response.status_code != 401 or response.json()["code"] != "not_authenticated":
            failures.append(f"{op}: {response.status_code}")
    assert failures == [], report(failures)


def test_api_refuses_a_token_without_the_permission(client, world, operations):
    failures = []
    for op in operations:
        if op.rule in NOT_A_PERMISSION:
            continue
        WALKED["api", "without the permission", op.method] += 1
        response = call(client, world, op, **token_of(world.without[op.rule]))
        if response.status_code != 403 or response.json()["code"] != "permission_denied":
            failures.append(f"{op} without {op.rule}: {response.status_code}")
    assert failures == [], report(failures)


def test_api_refuses_residents_on_staff_operations(client, world, operations):
    headers = token_of(world.users["resident"])
    failures = []
    for op in operations:
        if op.rule in (PUBLIC, RESIDENT, SIGNED_IN):
            continue
        WALKED["api", "resident", op.method] += 1
        response = call(client, world, op, **headers)
        if response.status_code != 403:
            failures.append(f"{op}: {response.status_code}")
    assert failures == [], report(failures)


def api_scope_failures(client, world, operations, headers, label):
    failures = []
    for op in operations:
        if op.model is None:
            continue
        response = call(client, world, op, "inside", **headers)
        if response.status_code == 404:
            failures.append(f"{op} (inside): 404 - does its id name a {op.model.__name__}?")
        if world.outside.get(op.model) is None:
            WALKED["api", f"{label}: inside only (company-wide)", op.method] += 1
            continue
        WALKED["api", label, op.method] += 1
        response = call(client, world, op, "outside", **headers)
        if response.status_code != 404 or response.json()["code"] != "not_found":
            failures.append(f"{op} (outside): {response.status_code}, not 404")
    return failures


def test_api_objects_outside_the_data_scope_are_not_found(client, world, operations):
    staff = [op for op in operations if op.rule != RESIDENT]
    headers = token_of(world.users["scoped"])
    failures = api_scope_failures(client, world, staff, headers, "outside the data scope")
    assert failures == [], report(failures)


def test_api_residents_do_not_find_another_residents_objects(client, world, operations):
    portal = [op for op in operations if op.rule == RESIDENT]
    headers = token_of(world.users["resident"])
    failures = api_scope_failures(client, world, portal, headers, "another resident's")
    assert failures == [], report(failures)


def test_api_errors_outside_the_routers_are_json_too(client):
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    wrong_method = client.put("/api/v1/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


def test_print_what_the_matrix_walked():
    """The figures (run the module with ``-s``): requests per walk, role and method."""
    routes, operations = page_routes(), api_operations()
    print(f"\naccess matrix: {len(routes)} page routes, {len(operations)} API operations")
    print(f"  page routes with a path parameter: {sum(bool(r.parameters) for r in routes)}")
    for (kind, role, method), count in sorted(WALKED.items()):
        print(f"  {kind:5} {role:55} {method:9} {count:4}")
