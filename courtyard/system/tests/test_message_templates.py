import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError

from courtyard.accounts.administration.services import ensure_default_roles
from courtyard.accounts.roles import ADMINISTRATOR, matrix_permissions
from courtyard.core import message_templates
from courtyard.core.models import MessageTemplate
from courtyard.core.modules import navigation_for
from courtyard.system import services
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/system/message-templates/"
PREVIEW = "/system/message-templates/preview/"
KEY = "billing.reminder"
PREFIX = "billing__reminder"
EDIT = "core.change_messagetemplate"


def post(client, key=KEY, action="save", **texts):
    prefix = key.replace(".", "__")
    data = {"key": key, "action": action}
    data.update({f"{prefix}-{name}": value for name, value in texts.items()})
    return client.post(URL, data)


@pytest.fixture
def editor(client):
    user = make_user("editor", EDIT)
    client.force_login(user)
    return user


# Registry ------------------------------------------------------------------------------------


def test_billing_registers_its_templates_with_their_variables():
    published = message_templates.definition("billing.bill_published")
    assert set(published.variables) == {
        "owner_name",
        "room_no",
        "estate_name",
        "item",
        "period",
        "amount",
        "due_date",
    }
    reminder = message_templates.definition(KEY)
    assert set(reminder.variables) == {
        "owner_name",
        "room_no",
        "estate_name",
        "amount",
        "items",
        "periods",
        "days_overdue",
    }
    subject, body = message_templates.render(
        "billing.bill_published",
        {"owner_name": "张伟", "room_no": "1-101", "amount": "100.00", "due_date": "2026-12-15"},
    )
    assert body.startswith("张伟您好") and "¥100.00" in body and "2026-12-15" in body


# Page ----------------------------------------------------------------------------------------


def test_page_lists_the_templates_by_module_with_variable_chips_and_a_preview(client, editor):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fees and payments" in page
    assert "Payment reminder" in page and "Bill published" in page
    assert 'data-variable="days_overdue"' in page
    assert f'id="id_{PREFIX}-body"' in page
    # The preview renders the default with the sample values.
    assert "张伟您好，您在翠湖花园3栋1单元502" in page
    assert "Restore default" not in page


def test_page_queries_do_not_grow_with_the_templates(client, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        client.get(URL)  # warms the caches (parameters, scope, stored texts)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    services.save_message_template(editor, KEY, subject="", body="{owner_name}")
    before = count()
    keys = [f"test.extra{i}" for i in range(5)]
    try:
        for key in keys:
            message_templates.register(key, label=key, variables={"a": "A"}, default_body="{a}")
            services.save_message_template(editor, key, subject="", body="x {a}")
        assert count() == before
    finally:
        for key in keys:
            message_templates._registry.pop(key)


def test_saving_stores_the_text_and_audits_it(client, editor):
    response = post(client, subject="提醒", body="{owner_name}请缴{amount}元")
    assert response.status_code == 302
    assert response["Location"] == f"{URL}#{PREFIX}"
    assert message_templates.render(KEY, {"owner_name": "李", "amount": "5.00"}) == (
        "提醒",
        "李请缴5.00元",
    )
    entry = LogEntry.objects.get_for_model(MessageTemplate).get()
    assert entry.actor == editor
    assert entry.additional_data["source"] == "web"
    page = client.get(URL).content.decode()
    assert "Customised" in page and "Restore default" in page


def test_unknown_variables_are_refused_and_the_typed_text_kept(client, editor):
    response = post(client, subject="", body="{owner_name}请缴{total}元")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown variables: {total}" in page
    assert "{owner_name}请缴{total}元</textarea>" in page
    assert "This text has not been saved." in page
    assert not MessageTemplate.objects.exists()


@pytest.mark.parametrize(
    "body,message",
    [
        ("{owner_name", "Unbalanced braces in the template."),
        ("{owner_name.upper}", "is not a plain variable."),
        ("", "This field is required."),
    ],
)
def test_malformed_texts_are_refused(client, editor, body, message):
    response = post(client, subject="", body=body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_errors_in_the_subject_are_shown_at_the_subject(client, editor):
    response = post(client, subject="{nope}", body="{owner_name}")
    form = next(f for _g, forms in response.context["groups"] for f in forms if f.prefix == PREFIX)
    assert form.errors == {"subject": ["Unknown variables: {nope}"]}


def test_restore_default(client, editor):
    services.save_message_template(editor, KEY, subject="", body="{owner_name}")
    response = post(client, action="restore")
    assert response.status_code == 302
    assert not MessageTemplate.objects.exists()
    assert message_templates.current(KEY)[2] is False
    assert LogEntry.objects.get_for_model(MessageTemplate).latest("pk").action == (
        LogEntry.Action.DELETE
    )


def test_an_unknown_key_is_404(client, editor):
    assert post(client, key="nope.nothing", body="x").status_code == 404
    assert client.post(PREVIEW, {"key": "nope.nothing"}).status_code == 404


def test_preview_renders_the_typed_text_with_the_samples(client, editor):
    response = client.post(
        PREVIEW,
        {"key": KEY, f"{PREFIX}-subject": "S {estate_name}", f"{PREFIX}-body": "欠{amount}"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "S 翠湖花园" in page and "欠712.80" in page
    response = client.post(PREVIEW, {"key": KEY, f"{PREFIX}-body": "{oops}"})
    assert "Unknown variables: {oops}" in response.content.decode()


def test_audit_log_names_the_template(client):
    admin = make_user("root", superuser=True)
    client.force_login(admin)
    post(client, subject="", body="{owner_name}")
    history = client.get(URL).context["history_url"]
    response = client.get(f"{history}&q={KEY}")
    assert response.status_code == 200
    assert response.context["filterset"].is_valid()
    assert "Payment reminder" in response.content.decode()


# Permissions ---------------------------------------------------------------------------------


def test_page_preview_and_service_need_the_permission(client):
    clerk = make_user("clerk", "system.change_parameters", "core.view_messagetemplate")
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    assert post(client, body="{owner_name}").status_code == 403
    assert client.post(PREVIEW, {"key": KEY}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.save_message_template(clerk, KEY, subject="", body="x")
    with pytest.raises(PermissionDenied):
        services.restore_message_template(clerk, KEY)
    assert not MessageTemplate.objects.exists()


def test_the_permissions_are_in_the_role_matrix_so_administrators_hold_them():
    names = {f"{p.content_type.app_label}.{p.codename}" for p in matrix_permissions()}
    assert {"core.view_messagetemplate", "core.change_messagetemplate"} <= names
    assert not Permission.objects.filter(codename="add_messagetemplate").exists()
    ensure_default_roles()
    admin_role = Group.objects.get(name=ADMINISTRATOR)
    assert admin_role.permissions.filter(codename="change_messagetemplate").exists()


def test_navigation_shows_the_page_to_permission_holders_only():
    def entries(user):
        return {item.url_name for _module, items in navigation_for(user) for item in items}

    assert "system:message_templates" in entries(make_user("editor", EDIT))
    assert "system:message_templates" not in entries(
        make_user("params", "system.change_parameters")
    )


# API -----------------------------------------------------------------------------------------


def test_api_lists_and_shows_templates(api):
    reader = make_user("reader", "core.view_messagetemplate")
    response = api(reader).get("/message-templates")
    assert response.status_code == 200
    keys = [item["key"] for item in response.json()["items"]]
    assert {"billing.bill_published", KEY} <= set(keys)
    one = api(reader).get(f"/message-templates/{KEY}").json()
    assert one["customised"] is False
    assert one["body"] == one["default_body"]
    assert {"name": "days_overdue", "label": "Days overdue"} in one["variables"]


def test_api_patch_saves_with_the_same_validation(api):
    editor = make_user("editor", "core.view_messagetemplate", EDIT)
    client = api(editor)
    response = client.patch(f"/message-templates/{KEY}", {"body": "{owner_name}欠{amount}"})
    assert response.status_code == 200
    data = response.json()
    assert data["customised"] is True and data["body"] == "{owner_name}欠{amount}"
    assert data["subject"] == message_templates.definition(KEY).default_subject
    assert data["updated_by"] == editor.pk
    entry = LogEntry.objects.get_for_model(MessageTemplate).get()
    assert entry.actor == editor and entry.additional_data["source"] == "api"

    response = client.patch(f"/message-templates/{KEY}", {"subject": "{total}"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_variable"
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("subject", "Unknown variables: {total}")
    ]
    response = client.patch(f"/message-templates/{KEY}", {"body": "{amount"})
    assert response.status_code == 400 and response.json()["code"] == "bad_template"

    response = client.post(f"/message-templates/{KEY}/restore-default")
    assert response.status_code == 200 and response.json()["customised"] is False


def test_api_permissions_and_unknown_keys(api):
    bare = api(make_user("bare"))
    assert bare.get("/message-templates").json()["code"] == "permission_denied"
    reader = api(make_user("reader", "core.view_messagetemplate"))
    response = reader.patch(f"/message-templates/{KEY}", {"body": "x"})
    assert response.status_code == 403
    assert reader.post(f"/message-templates/{KEY}/restore-default").status_code == 403
    assert reader.get("/message-templates/nope.nothing").status_code == 404
    assert not MessageTemplate.objects.exists()


def test_validation_error_from_service_is_keyed_by_field():
    with pytest.raises(ValidationError) as caught:
        services.save_message_template(None, KEY, subject="{x}", body="{y}")
    assert set(caught.value.message_dict) == {"subject", "body"}
