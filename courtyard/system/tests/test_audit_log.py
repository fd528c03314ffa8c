from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import Department, SecurityEvent
from courtyard.core.audit import change_source
from courtyard.estates.models import Estate
from courtyard.system.selectors import readable_changes
from tests.factories import EstateFactory, make_user

pytestmark = pytest.mark.django_db
URL = "/system/audit-log/"


@pytest.fixture
def auditor(client):
    user = make_user("auditor", "system.view_audit_log")
    client.force_login(user)
    return user


def test_page_needs_the_permission(client):
    client.force_login(make_user("clerk"))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?tab=security").status_code == 403


def test_changes_are_listed_readably(client, auditor):
    with change_source("import", actor=auditor):
        estate = EstateFactory(name="翠湖花园")
    estate.name = "翠湖花园二期"
    estate.save()
    page = client.get(URL).content.decode()
    assert "翠湖花园二期" in page
    assert "Import" in page  # the source of the creation
    assert "Changed" in page and "Created" in page
    assert "翠湖花园</del>" in page  # old value of the name, struck through


def test_foreign_keys_show_the_related_record_without_a_query_per_row(
    client, auditor, django_assert_max_num_queries
):
    department = Department.objects.create(name="客服部")
    for n in range(30):
        make_user(f"clerk{n}", department=department)
    with django_assert_max_num_queries(20):
        page = client.get(URL).content.decode()
    assert "客服部" in page


def test_filters_by_action_type_source_actor_and_date(client, auditor):
    with change_source("api", actor=auditor):
        estate = EstateFactory(name="Estate by API")
    Department.objects.create(name="工程部")
    estate.delete()

    def listed(**params):
        return client.get(URL, params).content.decode()

    estate_type = ContentType.objects.get_for_model(Estate).pk
    assert "工程部" not in listed(object_type=estate_type)
    assert "Estate by API" in listed(object_type=estate_type, action=LogEntry.Action.DELETE)
    assert "工程部" not in listed(source="api")
    assert "Estate by API" in listed(source="api", actor="auditor")
    assert "Estate by API" not in listed(actor="nobody-such")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "Estate by API" not in listed(date_from=tomorrow)
    assert "Estate by API" in listed(date_to=tomorrow)


def test_paginates_fifty_entries_a_page(client, auditor):
    for n in range(55):
        Department.objects.create(name=f"Dept {n:02d}")
    first = client.get(URL).content.decode()
    assert "Dept 54" in first and "Dept 04" not in first
    assert "Dept 04" in client.get(URL, {"page": 2}).content.decode()


def test_security_tab_lists_and_filters_events(client, auditor, django_assert_max_num_queries):
    for n in range(20):
        SecurityEvent.objects.create(
            kind=SecurityEventKind.LOGIN_FAILED, username=f"guess{n}", ip_address="10.0.0.9"
        )
    SecurityEvent.objects.create(kind=SecurityEventKind.LOGIN, user=auditor, username="auditor")
    with django_assert_max_num_queries(17):
        page = client.get(URL, {"tab": "security"}).content.decode()
    assert "Sign-in failed" in page and "10.0.0.9" in page
    only_logins = client.get(URL, {"tab": "security", "kind": "login"}).content.decode()
    assert "guess1" not in only_logins and "auditor" in only_logins
    by_name = client.get(URL, {"tab": "security", "username": "guess7"}).content.decode()
    assert "guess7" in by_name and "guess8" not in by_name


def _sample(field, home):
    """A stored value of ``field`` as auditlog writes it (strings, keys as text)."""
    if field.many_to_one:
        return str(home.pk) if isinstance(home, field.related_model) else "1"
    if field.choices:
        return str(field.flatchoices[0][0])
    return {
        "BooleanField": "True",
        "DateTimeField": "2026-01-02 03:04:05+00:00",
        "DateField": "2026-01-02",
    }.get(field.get_internal_type(), "7")


def test_entries_of_every_registered_kind_are_shown(client, auditor):
    """Every model the audit log records, with a change of every field; approval requests
    (a generic relation) name their subject whichever kind it is."""
    from auditlog.registry import auditlog

    estate = EstateFactory(name="翠湖花园")
    department = Department.objects.create(name="工程部")
    LogEntry.objects.all().delete()  # their own creation entries name them too
    for model in auditlog.get_models():
        fields = [f for f in model._meta.concrete_fields if f.name != "id"]
        changes = {f.name: ["None", _sample(f, estate)] for f in fields}
        changes["not_a_field_any_more"] = ["a", "b"]
        LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            object_pk="1",
            object_repr=f"{model.__name__} one",
            action=LogEntry.Action.UPDATE,
            changes=changes,
        )
    request_type = ContentType.objects.get(app_label="core", model="approvalrequest")
    approval_entries = [
        LogEntry.objects.create(
            content_type=request_type,
            object_pk="2",
            object_repr="an approval",
            action=LogEntry.Action.CREATE,
            changes={
                "content_type": ["None", str(ContentType.objects.get_for_model(subject).pk)],
                "object_id": ["None", str(subject.pk)],
            },
        )
        for subject in (estate, department)
    ]
    pages = [client.get(URL, {"page": n}) for n in (1, 2, 3)]
    assert [response.status_code for response in pages] == [200, 200, 200]
    shown = [entry.rows for entry in readable_changes(approval_entries, auditor)]
    assert shown[0][-1][1:] == ("—", "翠湖花园")
    assert shown[1][-1][1:] == ("—", "工程部")
