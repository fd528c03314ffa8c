"""The audit trail records who changed what and from where (web, API, import, task)."""

import pytest
from auditlog.models import LogEntry
from django.http import HttpResponse
from django.urls import path
from ninja import NinjaAPI, Router

from courtyard.accounts.api import TokenAuth
from courtyard.accounts.models import ApiToken, Department
from courtyard.core.access import STAFF, access
from courtyard.core.api import api_access
from courtyard.core.audit import change_source, current_source
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@access(STAFF)
def create_department(request):
    Department.objects.create(name=request.POST["name"])
    return HttpResponse(status=201)


router = Router()


@router.post("/departments")
@api_access(STAFF)
def api_create_department(request, name: str):
    Department.objects.create(name=name)
    return {"ok": True}


api = NinjaAPI(urls_namespace="audit-test-api", auth=TokenAuth())
api.add_router("/", router)

urlpatterns = [
    path("departments/", create_department),
    path("api/test/", api.urls),
]


def entry_for(name):
    return LogEntry.objects.get_for_model(Department).get(object_repr=name)


def test_a_change_through_the_web_records_the_actor_and_source_web(client):
    clerk = make_user("clerk")
    client.force_login(clerk)
    assert client.post("/departments/", {"name": "客服部"}).status_code == 201
    entry = entry_for("客服部")
    assert entry.actor == clerk and entry.additional_data == {"source": "web"}
    assert entry.action == LogEntry.Action.CREATE and entry.changes["name"][1] == "客服部"


def test_a_change_through_the_api_records_the_token_user_and_source_api(client):
    integrator = make_user("integrator")
    _token, raw = ApiToken.issue(integrator)
    response = client.post("/api/test/departments?name=工程部", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    entry = entry_for("工程部")
    assert entry.actor == integrator and entry.additional_data == {"source": "api"}


def test_changes_outside_a_request_are_from_the_system_unless_marked():
    Department.objects.create(name="财务部")
    assert (
        entry_for("财务部").additional_data == {"source": "system"}
        and not entry_for("财务部").actor
    )
    importer = make_user("importer")
    with change_source("import", actor=importer):
        assert current_source() == "import"
        Department.objects.create(name="保安部")
    assert current_source() == "system"
    entry = entry_for("保安部")
    assert entry.actor == importer and entry.additional_data == {"source": "import"}


def test_updates_and_deletes_record_the_changed_fields():
    department = Department.objects.create(name="绿化部")
    department.description = "Gardens"
    department.save()
    department.delete()
    create, update, delete = LogEntry.objects.get_for_model(Department).order_by("pk")
    assert update.action == LogEntry.Action.UPDATE
    assert update.changes == {"description": ["", "Gardens"]}
    assert delete.action == LogEntry.Action.DELETE


def test_passwords_are_never_audited():
    user = make_user("someone")
    user.set_password("N3w#password")
    user.save()
    for entry in LogEntry.objects.get_for_object(user):
        assert "password" not in (entry.changes or {})
