"""The API's shared conventions: paging bounds, one error shape in the user's language,
bounded integers, a lost race as 409, and every operation's error answers documented."""

import pytest
from django.db import IntegrityError

from courtyard.accounts.models import ApiToken
from courtyard.estates.models import Estate
from tests.factories import EstateFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client):
    """``call(user, method, path, body=None, language="en")``: an API call with a token."""

    def send(user, method, path, body=None, language="en", **params):
        _token, raw = ApiToken.issue(user)
        headers = {"Authorization": f"Bearer {raw}", "Accept-Language": language}
        url = f"/api/v1{path}"
        if method == "get":
            return client.get(url, params, headers=headers)
        return getattr(client, method)(url, body, content_type="application/json", headers=headers)

    return send


@pytest.fixture
def clerk(db):
    return make_user("clerk", "estates.view_estate", "estates.change_estate")


@pytest.fixture
def collector(db):
    return make_user("collector", "billing.add_reminder")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": -1}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -5}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_paging_out_of_bounds_is_a_400_naming_the_parameter(call, clerk, params, field):
    response = call(clerk, "get", "/estates", **params)
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid_request"
    assert [e["field"] for e in body["errors"]] == [field]


def test_paging_within_bounds_answers_a_page(call, clerk):
    EstateFactory()
    assert call(clerk, "get", "/estates", limit=1000).json()["count"] == 1
    far = call(clerk, "get", "/estates", offset=2**63 - 1).json()
    assert far == {"items": [], "count": 1}


def test_schema_errors_name_each_field_in_the_users_language(call, collector):
    body = {"bills": ["one", 2**63], "note": 5}
    english = call(collector, "post", "/reminders", body).json()
    assert english["code"] == "invalid_request"
    errors = {e["field"]: (e["code"], e["message"]) for e in english["errors"]}
    assert errors == {
        "bills.0": ("int_parsing", "Enter a whole number."),
        "bills.1": (
            "less_than_equal",
            "Ensure this value is less than or equal to 9223372036854775807.",
        ),
        "channel": ("missing", "This field is required."),
        "note": ("string_type", "Enter text."),
    }
    chinese = call(collector, "post", "/reminders", {"bills": [1]}, language="zh-hans")
    assert chinese.json()["errors"] == [
        {"field": "channel", "code": "missing", "message": "此项为必填项。"}
    ]


def test_service_errors_have_the_same_shape(call, clerk):
    first, second = EstateFactory(code="A"), EstateFactory(code="B")
    response = call(clerk, "patch", f"/estates/{second.pk}", {"code": first.code})
    body = response.json()
    assert response.status_code == 400 and body["code"] == "duplicate"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("code", "duplicate")]
    assert body["detail"].startswith("code: ")


def test_ids_beyond_the_database_are_refused_by_the_schema(call, collector):
    response = call(collector, "post", "/reminders", {"bills": [2**63], "channel": "sms"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["bills.0"]


def test_a_lost_race_is_a_409_changed_meanwhile(call, clerk, monkeypatch):
    estate, other = EstateFactory(), EstateFactory()

    def collide(*args, **kwargs):
        # What a concurrent request that took the name a moment earlier leaves behind.
        Estate.objects.filter(pk=estate.pk).update(name=other.name)

    monkeypatch.setattr(Estate, "save", collide)
    response = call(clerk, "patch", f"/estates/{estate.pk}", {"name": "新名"})
    assert response.status_code == 409 and response.json()["code"] == "changed_meanwhile"


def test_a_broken_constraint_that_is_not_a_race_stays_a_server_error(call, clerk, monkeypatch):
    """A NOT NULL violation is a bug to be seen (and found by the fuzzer), not a 409."""
    estate = EstateFactory()

    def break_it(*args, **kwargs):
        Estate.objects.filter(pk=estate.pk).update(name=None)

    monkeypatch.setattr(Estate, "save", break_it)
    with pytest.raises(IntegrityError):
        call(clerk, "patch", f"/estates/{estate.pk}", {"name": "新名"})


def test_every_operation_documents_its_error_answers(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["components"]["schemas"]["ErrorOut"]["required"]) == {"detail", "code"}
    for path, methods in schema["paths"].items():
        for method, details in methods.items():
            responses = details["responses"]
            errors = {status for status in responses if status.startswith("4")}
            assert {"401", "403"} <= errors or not details.get("security"), (method, path)
            if method != "get":
                assert "409" in errors, (method, path)
            for status in errors:
                content = responses[status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/ErrorOut"}, (status, path)


def test_operations_that_check_if_match_document_412_and_the_header(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/estates/{pk}", "patch"),
        ("/api/v1/buildings/{pk}", "patch"),
        ("/api/v1/units/{pk}", "patch"),
        ("/api/v1/residents/{pk}", "patch"),
        ("/api/v1/work-orders/{pk}", "patch"),
        ("/api/v1/charge-items/{pk}", "patch"),
    ]:
        details = paths[path][method]
        assert "412" in details["responses"], (method, path)
        assert "If-Match" in {p["name"] for p in details["parameters"]}, (method, path)
    assert "412" not in paths["/api/v1/estates/{pk}"]["get"]["responses"]
    assert "412" not in paths["/api/v1/entrances/{pk}"]["patch"]["responses"]


def integers_without_bound(node, components, where, seen):
    """The paths of integer values in a schema that have no maximum, following references."""
    if isinstance(node, list):
        return [
            p
            for i, item in enumerate(node)
            for p in integers_without_bound(item, components, where, seen)
        ]
    if not isinstance(node, dict):
        return []
    if ref := node.get("$ref"):
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return integers_without_bound(components[name], components, name, seen)
    found = [where] if node.get("type") == "integer" and "maximum" not in node else []
    for key, value in node.items():
        if key == "properties":
            for field, item in value.items():
                found += integers_without_bound(item, components, f"{where}.{field}", seen)
        elif key in ("items", "anyOf", "oneOf", "allOf"):
            found += integers_without_bound(value, components, where, seen)
    return found


def test_every_integer_of_a_request_body_is_bounded(client):
    """An integer beyond its column overflowed the database driver (500): the schema bounds it."""
    schema = client.get("/api/v1/openapi.json").json()
    components, unbounded = schema["components"]["schemas"], set()
    for path, methods in schema["paths"].items():
        for method, details in methods.items():
            for content in details.get("requestBody", {}).get("content", {}).values():
                found = integers_without_bound(content["schema"], components, "", set())
                unbounded |= {f"{method} {path} {where}" for where in found}
    assert unbounded == set()


def test_a_floor_beyond_a_small_integer_is_refused(call):
    estate = EstateFactory()
    user = make_user("builder", "estates.add_building", estates=[estate])
    body = {"estate": estate.pk, "name": "1栋", "floors": 2**15}
    response = call(user, "post", "/buildings", body)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["floors"]


def test_signing_in_documents_its_refusals(client):
    responses = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/auth/login"]["post"][
        "responses"
    ]
    assert {"400", "401", "403", "429", "503"} <= set(responses)


@pytest.mark.parametrize(
    ("user", "path"),
    [("resident", "/portal/notices"), ("cashier", "/reports/arrears")],
)
def test_pages_counted_by_hand_keep_the_paging_bounds(call, user, path):
    """Lists answering more than items and count page by the same rules (offset 2^63 was a 409)."""
    from courtyard.accounts.models import User

    if user == "resident":
        who = User.objects.create_user(username="13900000001", kind="resident")
    else:
        who = make_user("cashier", "billing.view_bill")
    for params, field in [({"offset": 2**63}, "offset"), ({"limit": 0}, "limit")]:
        response = call(who, "get", path, **params)
        assert response.status_code == 400, response.json()
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert call(who, "get", path, limit=1).status_code == 200
