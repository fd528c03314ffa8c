"""Default deny: every page and API operation declares who may reach it, and the declaration
holds when walked as an anonymous visitor and as a staff member without permissions."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from courtyard.api import api
from courtyard.core.access import PUBLIC, RESIDENT, STAFF, declared_access
from tests.factories import make_user

# Ninja's own views (docs, schema) are public by design; they are not Courtyard pages.
NINJA_VIEWS = {"api-root", "openapi-json", "openapi-view"}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def page_patterns():
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            continue
        yield route, pattern


def api_operations():
    """Every operation of the API, child routers (billing's parts) included."""
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield path, operation


def test_every_page_declares_its_access():
    undeclared = [route for route, p in page_patterns() if declared_access(p.callback) is None]
    assert undeclared == []


def test_every_api_operation_declares_its_access():
    undeclared = [
        f"{','.join(op.methods)} {path}"
        for path, op in api_operations()
        if getattr(op.view_func, "courtyard_access", None) is None
    ]
    assert undeclared == []


def concrete(route):
    """A URL for a route: ids become 999999 (no such object)."""
    url = re.sub(r"<int:\w+>", "999999", route)
    url = re.sub(r"<(?:str|slug):\w+>", "x", url)
    url = re.sub(r"<\w+>", "x", url)
    return "/" + url


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client):
    for route, pattern in page_patterns():
        rule = declared_access(pattern.callback)
        if rule == PUBLIC or "<" in route:
            continue
        response = client.get(concrete(route))
        if response.status_code == 405:  # POST-only actions refuse a GET before anything else
            continue
        assert response.status_code == 302, route
        login = "/portal/login/" if rule == RESIDENT else "/accounts/login/"
        assert login in response["Location"], route


@pytest.mark.django_db
def test_staff_without_permissions_get_403_on_protected_pages(client):
    client.force_login(make_user("bare"))
    for route, pattern in page_patterns():
        rule = declared_access(pattern.callback)
        if rule in (PUBLIC, STAFF, RESIDENT) or "<" in route:
            continue
        assert client.get(concrete(route)).status_code in (403, 405), route


@pytest.mark.django_db
def test_residents_never_reach_staff_pages(client):
    """A resident account on any staff page is sent to the portal (or refused), never served."""
    from courtyard.accounts.models import User

    resident = User.objects.create_user(
        username="13900000009", phone="13900000009", kind="resident", must_change_password=False
    )
    client.force_login(resident)
    for route, pattern in page_patterns():
        rule = declared_access(pattern.callback)
        if rule in (PUBLIC, RESIDENT):
            continue
        response = client.get(concrete(route))
        assert response.status_code in (302, 403, 404, 405), route
        if response.status_code == 302:
            assert response["Location"] == "/portal/", route


@pytest.mark.django_db
def test_api_answers_401_json_without_a_token(client):
    for path, op in api_operations():
        if op.view_func.courtyard_access == PUBLIC:
            continue
        url = "/api/v1" + re.sub(r"\{\w+\}", "999999", path)
        method = op.methods[0].lower()
        response = getattr(client, method)(url, content_type="application/json")
        assert response.status_code == 401, f"{method} {url}"
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_api_errors_outside_the_routers_are_json_too(client):
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    wrong_method = client.put("/api/v1/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
